// Types for scripts/system-tools.mjs (plain JavaScript so that .ci/run can read it before `npm ci`).
export type SystemTool =
  | { id: string; kind: 'program'; path: string; package: string; usedBy: string }
  | { id: string; kind: 'perl-module'; package: string; usedBy: string };

export const SYSTEM_TOOLS: SystemTool[];
export function findTool(id: string): SystemTool;
export function isPresent(tool: SystemTool): boolean;
export function missingLine(tool: SystemTool): string;
export function missingTools(tools?: SystemTool[]): { tool: SystemTool; line: string }[];
export function debianPackages(): string[];
