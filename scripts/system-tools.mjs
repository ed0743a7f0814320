#!/usr/bin/env node
// The one list of programs and modules outside npm that the tests use, with the Debian package
// that brings each. `.ci/run` installs from it, `npm test` checks it first (preflight), and
// test/helpers/tools.ts gates each test that calls one, so a missing piece is one clear line
// at the start instead of a failure deep in a suite.
//
//   node scripts/system-tools.mjs packages   the Debian packages, one line, for apt-get install
//   node scripts/system-tools.mjs check      one line per missing piece; exit 1 under CI=true
//                                            (elsewhere the tests that need it skip, and say why)
//
// Debian installs a package's *recommended* packages only without --no-install-recommends;
// swaks merely recommends the Perl modules that its --tls and -a NTLM need, so they are named
// here on their own (a bare machine once failed: "TLS not available: requires Net::SSLeay").
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** @type {import('./system-tools.d.mts').SystemTool[]} */
export const SYSTEM_TOOLS = [
  { id: 'chromium', kind: 'program', path: '/usr/bin/chromium', package: 'chromium',
    usedBy: 'the browser end-to-end tests (Playwright drives Debian\'s Chromium and never downloads one)' },
  { id: 'tshark', kind: 'program', path: '/usr/bin/tshark', package: 'tshark',
    usedBy: 'the capture tests (Wireshark\'s engine opens our pcapng exports)' },
  { id: 'swaks', kind: 'program', path: '/usr/bin/swaks', package: 'swaks',
    usedBy: 'the interoperability tests (an independent SMTP client)' },
  { id: 'Net::SSLeay', kind: 'perl-module', package: 'libnet-ssleay-perl', usedBy: 'swaks --tls' },
  { id: 'IO::Socket::SSL', kind: 'perl-module', package: 'libio-socket-ssl-perl', usedBy: 'swaks --tls' },
  { id: 'Authen::NTLM', kind: 'perl-module', package: 'libauthen-ntlm-perl', usedBy: 'swaks -a NTLM' },
  { id: 'openssl', kind: 'program', path: '/usr/bin/openssl', package: 'openssl',
    usedBy: 'the TLS tests (`openssl s_client -starttls smtp`, certificate checks)' },
  { id: 'smtp-sink', kind: 'program', path: '/usr/sbin/smtp-sink', package: 'postfix',
    usedBy: 'bench\'s Postfix yardstick' },
  { id: 'smtp-source', kind: 'program', path: '/usr/sbin/smtp-source', package: 'postfix',
    usedBy: 'bench\'s Postfix yardstick' },
];

/** Packages installed beside the tools without being a tool themselves (TLS roots for openssl). */
const EXTRA_PACKAGES = ['ca-certificates'];

/** @param {string} id */
export function findTool(id) {
  const tool = SYSTEM_TOOLS.find((t) => t.id === id);
  if (!tool) throw new Error(`scripts/system-tools.mjs names no tool "${id}"`);
  return tool;
}

/** @param {import('./system-tools.d.mts').SystemTool} tool */
export function isPresent(tool) {
  if (tool.kind === 'program') return fs.existsSync(tool.path);
  const probe = spawnSync('perl', [`-M${tool.id}`, '-e', '1'], { stdio: 'ignore' });
  return probe.status === 0;
}

/** The one line that tells a person what is missing and how to get it. */
export function missingLine(tool) {
  const what = tool.kind === 'program' ? `${tool.id} (${tool.path})` : `the Perl module ${tool.id}`;
  return `${tool.usedBy} needs ${what}: apt-get install ${tool.package}`;
}

/** Every tool that is missing on this machine, each with its line. */
export function missingTools(tools = SYSTEM_TOOLS) {
  return tools.filter((t) => !isPresent(t)).map((t) => ({ tool: t, line: missingLine(t) }));
}

export function debianPackages() {
  return [...new Set([...SYSTEM_TOOLS.map((t) => t.package), ...EXTRA_PACKAGES])];
}

function main(argv) {
  const [command] = argv;
  if (command === 'packages') {
    process.stdout.write(debianPackages().join(' ') + '\n');
    return 0;
  }
  if (command === 'check') {
    const missing = missingTools();
    const ci = Boolean(process.env.CI) && process.env.CI !== 'false';
    for (const { line } of missing) console.error(`${ci ? 'missing' : 'missing (its tests will skip)'}: ${line}`);
    if (missing.length === 0) console.log(`preflight: all ${SYSTEM_TOOLS.length} system tools the tests use are installed`);
    return missing.length > 0 && ci ? 1 : 0;
  }
  console.error('usage: node scripts/system-tools.mjs packages|check');
  return 2;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
