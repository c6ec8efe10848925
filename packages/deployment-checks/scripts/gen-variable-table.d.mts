export const BEGIN: string;
export const END: string;
export const TARGETS: string[];
export function variableTable(): Promise<string>;
export function splice(text: string, table: string, file: string): string;
export function typeText(type: string): string;
