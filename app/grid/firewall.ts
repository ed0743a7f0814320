/**
 * The vendor-configuration reader as the layers above the path see it (docs/firewall-config.md):
 * the API and the CLI reach app/path/vendor/ through here.
 */
export { parseCiscoConfig as readVendorConfig, type LineReport, type ParsedConfig } from '../path/vendor/cisco-parse.ts';
export { printCiscoConfig as printVendorConfig } from '../path/vendor/cisco-print.ts';
export { PROFILE_NAMES, profileStages } from '../path/profiles.ts';
