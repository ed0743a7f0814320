/** Types of scripts/start.mjs for the tests that import it. */
export function electronBinary(projectRoot?: string): string | undefined;
export function buildApp(projectRoot?: string): Promise<void>;
