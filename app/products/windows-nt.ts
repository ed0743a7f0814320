/**
 * Windows NT under an organisation's mail server (the scenario's `nt:`), in NT's own words: the
 * build of NT installed and the registry value LMCompatibilityLevel. Not a mail product, and not in
 * the registry (index.ts): any profile with an NT domain runs on it. Only the notes depend on the
 * product: what its own sender sends and what a refused partner hears.
 *
 * Sources:
 *  [NLMP]    MS-NLMP §2.2.2.5 (NTLMSSP_NEGOTIATE_128, NTLMSSP_NEGOTIATE_56) and §3.4.5.3 (SEALKEY:
 *            without either, the sealing key is cut to 40 bits): what the build changes on the wire
 *            (app/ntlm/flags.ts `sessionFlags`).
 *  [W2KRK]   Windows 2000 Server Resource Kit, Technical Reference to the Registry, "LmCompatibilityLevel"
 *            (HKLM\SYSTEM\CurrentControlSet\Control\Lsa, REG_DWORD 0–5): per value, what clients send
 *            and what domain controllers accept. It refers to Microsoft KB Q147706 for NT 4.0, and
 *            says a level of 3 or more needs domain controllers at NT 4.0 SP4 (NTLMv2's release).
 *  [Builds]  NT 4.0 and its service packs shipped in a 128-bit edition sold in the United States
 *            and Canada ("North America") and a 40-bit export edition (the US export rules of the
 *            day); the scenarios' `us-128` and `export-40`.
 * The lab applies the "accepts" half of a level to the server's logons (app/ntlm/server.ts,
 * docs/ntlm.md "Who gets in") and the "sends" half to its sender as far as NTLMv1 or NTLMv2 goes
 * (`ntlmResponsesOf`; docs/ntlm.md, "The sender"): a product that sent NTLMv2 anyway keeps doing so.
 */
import { wire, type NtSettingsForm, type Product } from './types.ts';

/** [W2KRK] Levels 0–3 leave the domain controller accepting everything; 4 and 5 refuse. */
const ACCEPTS_ALL = 'accepts LM, NTLM and NTLMv2';
/** [W2KRK] From level 3 up, clients use NTLMv2 only (and NTLMv2 session security if the server supports it). */
const SENDS_V2 = 'sends the NTLMv2 response only';

const LEVELS: NtSettingsForm['level']['options'] = [
  { value: 0, sends: 'sends LM and NTLM responses, never NTLMv2 session security', accepts: ACCEPTS_ALL },
  { value: 1, sends: 'sends LM and NTLM responses, NTLMv2 session security if the server supports it', accepts: ACCEPTS_ALL },
  { value: 2, sends: 'sends the NTLM response only, NTLMv2 session security if the server supports it', accepts: ACCEPTS_ALL },
  { value: 3, sends: SENDS_V2, accepts: ACCEPTS_ALL },
  { value: 4, sends: SENDS_V2, accepts: 'refuses LM; accepts NTLM and NTLMv2' },
  { value: 5, sends: SENDS_V2, accepts: 'refuses LM and NTLM; accepts NTLMv2 only' },
];

/**
 * The NTLM responses an organisation's sender sends: its product's (the IMS of NT 4.0 sent NTLMv1,
 * later products NTLMv2), and NTLMv2 only once its NT runs at LMCompatibilityLevel 3 or more
 * ([W2KRK]: from level 3 NT's clients send NTLMv2 responses only; NT 4.0 SP4 brought both).
 */
export function ntlmResponsesOf(p: Pick<Product, 'ntlm'>, nt: { lmCompatibility: number } | undefined): 'v1' | 'v2' {
  return nt && nt.lmCompatibility >= 3 ? 'v2' : p.ntlm.responses;
}

/** The NT settings dialog of an organisation whose mail server is `p`. */
export function ntSettingsForm(p: Product): NtSettingsForm {
  const own = p.ntlm.responses === 'v1'
    ? `This server's mail product (${p.name}) sends what NT's clients do: NTLMv1 (NTLM) responses at levels 0 to 2, NTLMv2 from level 3.`
    : `This server's mail product (${p.name}) sends NTLMv2 responses at every level.`;
  return {
    title: 'Windows NT — encryption build and LMCompatibilityLevel',
    where: 'the build is the Service Pack edition installed; the level is set in regedt32. NT read both when it restarted; in the lab the next NTLM session takes them',
    build: {
      legend: 'Encryption of the NT build installed',
      options: [
        // [NLMP] §2.2.2.5: the US build asks for and grants NEGOTIATE_128 and NEGOTIATE_56.
        { value: 'us-128', label: '128-bit (North America)', line: 'asks for and grants 128-bit NTLM session keys; a session is 128-bit when the other end\'s build allows it too' },
        // [NLMP] §3.4.5.3: neither bit, so SEALKEY is 40 bits whatever the partner's build.
        { value: 'export-40', label: '40-bit (export)', line: 'asks for and grants neither 128 nor 56 bits: every NTLM session to or from this server is sealed with a 40-bit key' },
      ],
    },
    level: { legend: 'LAN Manager authentication level (REG_DWORD)', name: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LMCompatibilityLevel', options: LEVELS },
    notes: [
      `The lab applies what a level accepts to partners logging on here: a response the level refuses is answered "${wire(p.dialect.replies.authFailed)}", and the partner bounces the message.`,
      own,
    ],
  };
}
