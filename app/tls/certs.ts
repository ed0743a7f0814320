/**
 * Certificate building with node-forge (docs/tls.md, "Keys and certificates": forge signs with keys exported from Node as
 * PKCS#1 PEM; Node's X509Certificate and a real TLS handshake accept the result).
 *
 * Pure given its inputs: the same keys, names, dates and serial give byte-identical certificates
 * (PKCS#1 v1.5 signatures are deterministic), which keeps the lab replayable.
 *
 * Profiles follow RFC 5280: a CA has basicConstraints cA=TRUE and keyCertSign (§4.2.1.9, §4.2.1.3);
 * a server certificate names its host in subjectAltName dNSName (§4.2.1.6; RFC 6125 §6.4.4 says a
 * client looks there before the CN), carries serverAuth (§4.2.1.12), and links to its issuer by
 * key identifier (§4.2.1.1, §4.2.1.2).
 */
import { createHash } from 'node:crypto';
import forge from 'node-forge';
import type { LabKey } from './keys.ts';

export interface NameParts {
  commonName: string;
  organization?: string;
}

export interface CertSpec {
  /** Whose key goes into the certificate. */
  subjectKey: LabKey;
  subject: NameParts;
  /** Who signs: omitted for a self-signed certificate. */
  issuer?: { key: LabKey; certPem: string };
  notBefore: number;
  notAfter: number;
  /** Hex, positive (built by `serialFor`). */
  serial: string;
  ca: boolean;
  /** dNSName entries of subjectAltName (leaf certificates). */
  dnsNames?: string[];
}

/** A stable, positive serial number derived from what the certificate is for. */
export function serialFor(...parts: (string | number)[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
  // RFC 5280 §4.1.2.2: positive, at most 20 octets. A leading 1-7 nibble keeps the sign bit clear.
  return ((parseInt(hex[0], 16) % 7) + 1).toString(16) + hex.slice(1);
}

function attributes(name: NameParts): forge.pki.CertificateField[] {
  const attrs: forge.pki.CertificateField[] = [{ name: 'commonName', value: name.commonName }];
  if (name.organization) attrs.push({ name: 'organizationName', value: name.organization });
  return attrs;
}

/** Build and sign one certificate; returns its PEM. */
export function buildCertificate(spec: CertSpec): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(spec.subjectKey.publicKeyPem);
  cert.serialNumber = spec.serial;
  cert.validity.notBefore = new Date(spec.notBefore);
  cert.validity.notAfter = new Date(spec.notAfter);
  cert.setSubject(attributes(spec.subject));

  let signer: LabKey;
  let authorityKeyId: string;
  if (spec.issuer) {
    const issuerCert = forge.pki.certificateFromPem(spec.issuer.certPem);
    cert.setIssuer(issuerCert.subject.attributes);
    signer = spec.issuer.key;
    authorityKeyId = issuerCert.generateSubjectKeyIdentifier().getBytes();
  } else {
    cert.setIssuer(attributes(spec.subject));
    signer = spec.subjectKey;
    authorityKeyId = cert.generateSubjectKeyIdentifier().getBytes();
  }

  const extensions: object[] = spec.ca
    ? [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ]
    : [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      ];
  if (spec.dnsNames?.length) {
    // type 2 = dNSName (RFC 5280 §4.2.1.6 GeneralName)
    extensions.push({ name: 'subjectAltName', altNames: spec.dnsNames.map((value) => ({ type: 2, value })) });
  }
  extensions.push({ name: 'subjectKeyIdentifier' });
  extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId });
  cert.setExtensions(extensions);

  cert.sign(forge.pki.privateKeyFromPem(signer.privateKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** PEM text → the DER of every certificate in it, in order. */
export function pemToDer(pem: string): Buffer[] {
  const out: Buffer[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) out.push(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
  return out;
}

/** DER → PEM, 64 columns (RFC 7468 §2). */
export function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
