export * from './errors.js';
export * from './error-catalogue.js';
export * from './config-schema.js';
export * from './entities.js';
export * from './log-document.js';
export * from './analytics.js';
export * from './sync.js';
export * from './log-store-layout.js';
