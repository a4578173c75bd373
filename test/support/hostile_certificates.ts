import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";

/**
 * Self-signed certificates as a hostile TLS client would present them (issue 13, item 3): every one
 * distinct (serial and CN), with subject and issuer names of several KiB each, validly signed with one
 * Ed25519 key so that making tens of thousands costs a second or two. Written with a small DER encoder
 * (X.690) rather than a certificate library: the point is size and variety, not a real CA.
 */
export interface HostileCertificates {
  /** The `index`-th certificate, PEM. */
  pem(index: number): string;
}

const OID_ED25519 = "1.3.101.112";
const OID_CN = "2.5.4.3";
const OID_OU = "2.5.4.11";

/** `nameBytes`: roughly how large the subject (and the identical issuer) Name is, in DER bytes. */
export function hostileCertificates(nameBytes: number): HostileCertificates {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const key: KeyObject = privateKey;
  const spki = publicKey.export({ format: "der", type: "spki" });
  const algorithm = sequence(oid(OID_ED25519));
  const validity = sequence(
    utcTime(new Date(Date.now() - 86_400_000)),
    utcTime(new Date(Date.now() + 86_400_000)),
  );
  // The bulk of the name is one long organizationalUnitName: as many bytes as a name of many RDNs, but
  // few ASN.1 nodes, so the service's parser (and the test) spend their time on volume, not node count.
  const filler = [rdn(OID_OU, "hostile-unit-".repeat(Math.ceil(nameBytes / 13)).slice(0, nameBytes))];
  // One template TBS; each certificate writes its index into the serial and the CN (fixed width), so a
  // certificate costs one copy and one signature.
  const cnDigits = 10;
  const template = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serialOf(0)),
    algorithm,
    sequence(rdn(OID_CN, `hostile-${"0".repeat(cnDigits)}`), ...filler),
    validity,
    sequence(rdn(OID_CN, `hostile-${"1".repeat(cnDigits)}`), ...filler),
    Buffer.from(spki),
  );
  const serialAt = template.indexOf(serialOf(0)) + 4;
  const issuerCnAt = template.indexOf(Buffer.from(`hostile-${"0".repeat(cnDigits)}`)) + 8;
  const subjectCnAt = template.indexOf(Buffer.from(`hostile-${"1".repeat(cnDigits)}`)) + 8;
  return {
    pem(index) {
      const tbs = Buffer.from(template);
      const digits = String(index).padStart(cnDigits, "0");
      tbs.writeUInt32BE(index, serialAt);
      // Self-signed: issuer and subject are the same name.
      tbs.write(digits, issuerCnAt, "ascii");
      tbs.write(digits, subjectCnAt, "ascii");
      const signature = sign(null, tbs, key);
      const der = sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
      const body = der.toString("base64").replace(/.{64}/g, "$&\n");
      return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
    },
  };
}

/** A positive INTEGER of 8 bytes, distinct per index. */
function serialOf(index: number): Buffer {
  const serial = Buffer.alloc(8);
  serial.writeUInt32BE(0x40000000, 0);
  serial.writeUInt32BE(index, 4);
  return serial;
}

function rdn(type: string, value: string): Buffer {
  return tlv(0x31, sequence(oid(type), tlv(0x0c, Buffer.from(value, "utf8"))));
}

function sequence(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}

function explicit(tag: number, inner: Buffer): Buffer {
  return tlv(0xa0 + tag, inner);
}

function integer(value: Buffer): Buffer {
  return tlv(0x02, value);
}

function utcTime(date: Date): Buffer {
  const text = `${date.toISOString().slice(2, 19).replace(/[-T:]/g, "")}Z`;
  return tlv(0x17, Buffer.from(text, "ascii"));
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) groups.unshift((value & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(value.length), value]);
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
}
