/**
 * An unsigned Windows security catalog (.cat), as makecat writes one before signtool signs it: a
 * PKCS#7 SignedData without signers whose content is a certificate trust list (szOID_CTL), one
 * member per file with its Authenticode digest in an SPC_INDIRECT_DATA attribute, its tag (the
 * digest in upper-case hex, UTF-16LE) as the subject identifier, and a File name attribute.
 */
import { randomBytes } from 'node:crypto';
import { algorithm, integer, octets, oid, seq, set, tlv, utcTime } from './der-writer.ts';

const SHA1 = '1.3.14.3.2.26';
const SHA256 = '2.16.840.1.101.3.4.2.1';

export interface CatalogMember {
  /** The file's Authenticode digest (SHA-1 in a v1 catalog, SHA-256 in a v2 one). */
  digest: Buffer;
  /** The file name recorded in the member's name-value attribute. */
  file: string;
}

const bmp = (s: string) => tlv(0x1e, Buffer.from(s, 'utf16le').swap16());

export function buildCatalog(members: readonly CatalogMember[], hash: 'sha1' | 'sha256'): Buffer {
  const subjects = members.map((m) => {
    const tag = Buffer.from(m.digest.toString('hex').toUpperCase(), 'utf16le');
    const indirect = seq(seq(oid('1.3.6.1.4.1.311.2.1.15'), seq(tlv(0x03, Buffer.from([0])), tlv(0xa0, tlv(0xa2, tlv(0x80, Buffer.alloc(0)))))), seq(algorithm(hash === 'sha1' ? SHA1 : SHA256), octets(m.digest)));
    // CAT_NAMEVALUE "File": {name BMPString, flags INTEGER, value OCTET STRING (UTF-16LE, NUL-terminated)}.
    const nameValue = seq(bmp('File'), integer(0x10010001n), octets(Buffer.from(`${m.file}\0`, 'utf16le')));
    return seq(
      octets(tag),
      set(
        seq(oid('1.3.6.1.4.1.311.12.2.1'), set(nameValue)),
        seq(oid('1.3.6.1.4.1.311.12.2.2'), set(seq(bmp('{C689AAB8-8E78-11D0-8C47-00C04FC295EE}'), integer(512n)))),
        seq(oid('1.3.6.1.4.1.311.2.1.4'), set(indirect)),
      ),
    );
  });
  const ctl = seq(
    seq(oid('1.3.6.1.4.1.311.12.1.1')),
    octets(randomBytes(16)),
    utcTime(new Date()),
    algorithm(hash === 'sha1' ? '1.3.6.1.4.1.311.12.1.2' : '1.3.6.1.4.1.311.12.1.3'),
    seq(...subjects),
  );
  const signedData = seq(integer(1n), set(), seq(oid('1.3.6.1.4.1.311.10.1'), tlv(0xa0, ctl)), set());
  return seq(oid('1.2.840.113549.1.7.2'), tlv(0xa0, signedData));
}
