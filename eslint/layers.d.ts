// Types for eslint/layers.js, so tests can read the same table the lint rule enforces.
export declare const LAYERS: Record<string, { uses: string[]; what: string }>;
export declare function folderOf(file: string): string | undefined;
export declare function layerViolation(from: string, to: string): string | undefined;
export declare function layerRanks(): { name: string; rank: number }[];
export declare function drawLayers(): string;
export declare const layersPlugin: { rules: Record<string, unknown> };
