export function terraformPlatform(): string;
export function installStandIn(dir: string): Record<string, string>;
export function startSharedStandIn(): Promise<{ reattach: string; calls: string[]; stop(): Promise<void> }>;
