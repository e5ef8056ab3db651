/**
 * `authenticode(filename, accessor, verbose)`: the Authenticode signature of a PE file and
 * whether it is trusted, in the shape of Velociraptor's (Filename, ProgramName, PublisherLink,
 * MoreInfoLink, SerialNumber, IssuerName, SubjectName, Timestamp, Trusted, _ExtraInfo).
 *
 * Velociraptor asks Windows (WinVerifyTrust); here the embedded signature is verified with
 * Node's crypto (verify.ts) against the roots trust-anchors.ts picks: the evidence's own
 * certificate stores when the query reads a Windows disk image, else this machine's roots.
 * `Trusted` is "trusted", "untrusted" (`_ExtraInfo.Reason` says why) or "unsigned" (no
 * embedded signature: a file Windows signs only in a catalog is "unsigned" here).
 * Issuer and subject are the certificates' common names (Windows' simple display names);
 * the serial number is lowercase hex; Timestamp is the time a valid timestamp vouches for.
 */
import { VDict, VTime, toValue, type FunctionDef, type Value } from '../../../vql/index.ts';
import { errorText } from '../common.ts';
import { winCertificateContent } from './authenticode.ts';
import { withPe } from './parse_pe.ts';
import { authenticodeDigests } from './pe.ts';
import { trustAnchors } from './trust-anchors.ts';
import { commonName, verifyAuthenticode } from './verify.ts';

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
        if (!info.authenticodeError) return result(filename, {}, extra);
        extra.set('Reason', `the certificate table could not be read: ${info.authenticodeError}`);
        return result(filename, { Trusted: 'untrusted' }, extra);
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
      const attrs = info.authenticode?.Signer.AuthenticatedAttributes ?? {};
      const signer = v.signer;
      extra.set('Reason', v.reason || null);
      extra.set('TrustedBy', anchors.source);
      extra.set('Chain', v.chain);
      extra.set('DigestAlgorithm', v.digestAlgorithm || null);
      extra.set('SignedDigest', v.signedDigest || null);
      extra.set('TimestampSigner', v.timestampSigner || null);
      if (args.verbose === true && info.authenticode) extra.set('Certificates', toValue(info.authenticode.Certificates));
      return result(filename, {
        ProgramName: attrs.ProgramName ?? null,
        MoreInfoLink: attrs.MoreInfo ?? null,
        SerialNumber: signer ? signer.serialNumber.toLowerCase() : null,
        IssuerName: signer ? commonName(signer.issuer) : null,
        SubjectName: signer ? commonName(signer.subject) : null,
        Timestamp: v.timestamp ? VTime.fromSeconds(v.timestamp.getTime() / 1000) : null,
        Trusted: v.trusted,
      }, extra);
    });
  },
};
