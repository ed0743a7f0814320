export interface Finding {
  issue: string;
  severity: string;
  confidence: string;
  file: string;
  location: string;
  description: string;
  review: boolean;
}
export function parseTable(stdout: string): Finding[];
export function judge(scan: { scanned: string[]; findings: Finding[]; output: string }): { code: number; lines: string[] };
