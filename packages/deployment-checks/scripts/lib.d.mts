export const pkgRoot: string;
export const repoRoot: string;
export const tfRoot: string;
export function filesUnder(dir: string, suffixes: string[]): string[];
export function hclFiles(): string[];
