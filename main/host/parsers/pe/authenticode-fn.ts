/**
 * `authenticode(filename, accessor, verbose)`: the Authenticode signature of a PE file and
 * whether it is trusted, in the shape of Velociraptor's (Filename, ProgramName, PublisherLink,
 * MoreInfoLink, SerialNumber, IssuerName, SubjectName, Timestamp, Trusted, _ExtraInfo).
 *
 * Velociraptor asks Windows (WinVerifyTrust); here the embedded signature is verified with
 * Node's crypto (verify.ts) against the roots trust-anchors.ts picks: the evidence's own
 * certificate stores when the query reads a Windows disk image, else this machine's roots.
 * `Trusted` is "trusted", "untrusted" (`_ExtraInfo.Reason` says why) or "unsigned". A file
 * without a signature of its own is looked up in the security catalogs of the Windows the
 * query looks at (catalog.ts), and then judged by the catalog's signature.
 * Issuer and subject are the certificates' common names (Windows' simple display names);
 * the serial number is lowercase hex; Timestamp is the time a valid timestamp vouches for.
 */
import { VDict, VTime, toValue, type FunctionDef, type Value } from '../../../vql/index.ts';
import { errorText } from '../common.ts';
import { winCertificateContent, type AuthenticodeInfo } from './authenticode.ts';
import { findInCatalogs } from './catalog.ts';
import { withPe } from './parse_pe.ts';
import { authenticodeDigests } from './pe.ts';
import { trustAnchors } from './trust-anchors.ts';
import { commonName, verifyAuthenticode, type Verification } from './verify.ts';

function result(filename: string, fields: Record<string, Value>, extra: VDict): VDict {
  return new VDict([
    ['Filename', filename],
    ['ProgramName', fields.ProgramName ?? null],
    ['PublisherLink', fields.PublisherLink ?? null],
    ['MoreInfoLink', fields.MoreInfoLink ?? null],
    ['SerialNumber', fields.SerialNumber ?? null],
    ['IssuerName', fields.IssuerName ?? null],
    ['SubjectName', fields.SubjectName ?? null],
    ['Timestamp', fields.Timestamp ?? null],
    ['Trusted', fields.Trusted ?? 'unsigned'],
    ['_ExtraInfo', extra],
  ]);
}

/** The result for a verified signature (the file's own, or the catalog's that lists it). */
function verdict(filename: string, v: Verification, signature: AuthenticodeInfo | null, trustedBy: string, extra: VDict): VDict {
  const attrs = signature?.Signer.AuthenticatedAttributes ?? {};
  const signer = v.signer;
  extra.set('Reason', v.reason || null);
  extra.set('TrustedBy', trustedBy);
  extra.set('Chain', v.chain);
  if (!extra.has('Catalog')) {
    extra.set('DigestAlgorithm', v.digestAlgorithm || null);
    extra.set('SignedDigest', v.signedDigest || null);
  }
  extra.set('TimestampSigner', v.timestampSigner || null);
  return result(filename, {
    ProgramName: attrs.ProgramName ?? null,
    MoreInfoLink: attrs.MoreInfo ?? null,
    SerialNumber: signer ? signer.serialNumber.toLowerCase() : null,
    IssuerName: signer ? commonName(signer.issuer) : null,
    SubjectName: signer ? commonName(signer.subject) : null,
    Timestamp: v.timestamp ? VTime.fromSeconds(v.timestamp.getTime() / 1000) : null,
    Trusted: v.trusted,
  }, extra);
}

export const authenticodeFunction: FunctionDef = {
  name: 'authenticode',
  doc: "Verify a PE file's embedded Authenticode signature: signer, issuer, timestamp and whether it is trusted (against the evidence's certificate stores, or this machine's roots).",
  args: {
    filename: { type: 'any', required: true, doc: 'The PE file (exe, dll, sys, efi)' },
    accessor: { type: 'string', doc: 'How to read it: auto (default), file, ntfs, fat, data...', default: 'auto' },
    verbose: { type: 'bool', doc: "Add the signature's certificates to _ExtraInfo" },
  },
  async run(call) {
    const { args, scope } = call;
    return withPe(call, 'authenticode', 'filename', 0, async ({ r, info, log, where, file: filename }) => {
      const extra = new VDict();
      if (!info.certificateTable) {
        // A table that is there but cannot be read is no proof of anything: untrusted, not unsigned.
        if (info.authenticodeError) {
          extra.set('Reason', `the certificate table could not be read: ${info.authenticodeError}`);
          return result(filename, { Trusted: 'untrusted' }, extra);
        }
        // No signature of its own: a security catalog of the Windows it comes from may list it.
        const anchors = await trustAnchors(scope);
        let digests: string[];
        try {
          digests = await authenticodeDigests(r, info, false, ['sha1', 'sha256'], scope.signal);
        } catch (e) {
          if (!scope.signal.aborted) log('error', where(`the file could not be read to hash it: ${errorText(e)}`));
          return null;
        }
        const hit = await findInCatalogs(scope, digests, anchors, (m) => log('info', m));
        if (scope.signal.aborted) return null;
        if (!hit) return result(filename, {}, extra);
        extra.set('Catalog', hit.catalog);
        return verdict(filename, hit.verification, hit.signature, anchors.source, extra);
      }
      let blob: Uint8Array;
      try {
        blob = winCertificateContent(info.certificateTable);
      } catch (e) {
        extra.set('Reason', `the certificate table is not an Authenticode signature: ${errorText(e)}`);
        return result(filename, { Trusted: 'untrusted' }, extra);
      }
      const anchors = await trustAnchors(scope);
      let v;
      try {
        v = await verifyAuthenticode(blob, async (algorithm) => (await authenticodeDigests(r, info, false, [algorithm], scope.signal))[0]!, anchors);
      } catch (e) {
        // The file could not be read to its end to hash it: no verdict.
        if (!scope.signal.aborted) log('error', where(`the file could not be read to hash it: ${errorText(e)}`));
        return null;
      }
      if (scope.signal.aborted) return null;
      if (args.verbose === true && info.authenticode) extra.set('Certificates', toValue(info.authenticode.Certificates));
      return verdict(filename, v, info.authenticode, anchors.source, extra);
    });
  },
};
