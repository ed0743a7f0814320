export interface Finding {
  issue: string;
  severity: string;
  confidence: string;
  file: string;
  location: string;
  description: string;
}
export function parseReport(csv: string): Finding[];
export function judge(scan: { scanned: string[]; findings: Finding[]; output: string }): { code: number; lines: string[] };
