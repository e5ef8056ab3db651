/**
 * `pk_encrypt(data=, public_key=, signing_key=, scheme=)` and
 * `pk_decrypt(data=, private_key=, verify_key=, scheme=)` (Velociraptor's vql/functions/encrypt.go:
 * "Encrypt files using pubkey encryption").
 *
 * Scheme `rsa` (the default): RSA-OAEP with SHA-1 (hash and MGF1) and an empty label, as
 * Velociraptor's crypto utilities (`rsa.EncryptOAEP(sha1.New(), ...)`). The output is raw bytes:
 *
 *   C            without signing_key: C alone, |C| = the recipient's modulus size in bytes
 *   C || S       with signing_key: S = RSASSA-PKCS1-v1_5 SHA-256 signature of C by signing_key,
 *                |S| = the signer's modulus size in bytes (encrypt-then-sign)
 *
 * pk_decrypt splits at the private key's modulus size; with verify_key it requires S and checks
 * it before decrypting. The data must fit one OAEP block (modulus bytes - 42); there is no
 * chunking. Differences: there is no server, so public_key / private_key have no default (a
 * missing key is logged); scheme `pgp` is not supported here. Errors are logged and give NULL.
 */
import {
  constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, sign, verify, type KeyObject,
} from 'node:crypto';
import { type FunctionCall, type FunctionDef, type Value } from '../../vql/index.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import { textBytes, textOf } from '../files/text.ts';

/** OAEP overhead with SHA-1: 2 * 20 + 2 bytes. */
const OAEP_SHA1_OVERHEAD = 42;

type Log = (message: string) => void;

function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

/** The scheme, or null (logged) when it is not one we support. */
function checkScheme(v: Value, log: Log): 'rsa' | null {
  const scheme = v === null || v === undefined || v === '' ? 'rsa' : textOf(v).toLowerCase();
  if (scheme === 'rsa') return 'rsa';
  if (scheme === 'pgp') log('argument scheme: scheme pgp is not supported here; use rsa');
  else log(`argument scheme: unknown scheme ${JSON.stringify(textOf(v))} (supported: rsa)`);
  return null;
}

/** An RSA key from PEM text: public (PKIX, PKCS#1 or an X.509 certificate; a private key also
 *  gives its public half) or private (PKCS#1 or PKCS#8, unencrypted). */
function parseKey(v: Value, argName: string, kind: 'public' | 'private', log: Log): KeyObject | null {
  const pem = textOf(v).trim();
  let key: KeyObject;
  try {
    key = kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
  } catch (e) {
    log(`argument ${argName}: not a PEM ${kind} key (${(e as Error).message})`);
    return null;
  }
  if (key.asymmetricKeyType !== 'rsa') {
    log(`argument ${argName}: scheme rsa needs an RSA key (got ${key.asymmetricKeyType ?? 'unknown'})`);
    return null;
  }
  return key;
}

function present(v: Value): boolean {
  return v !== null && v !== undefined && textOf(v).trim() !== '';
}

export const pkEncrypt: FunctionDef = {
  name: 'pk_encrypt',
  doc: 'Encrypt data to an RSA public key (RSA-OAEP, SHA-1), optionally signed (PKCS#1 v1.5 SHA-256); raw bytes.',
  args: {
    data: { type: 'any', required: true, doc: 'The data to encrypt (string or bytes)' },
    public_key: { type: 'string', doc: 'PEM public key (or certificate) to encrypt to. Required here: there is no server key' },
    signing_key: { type: 'string', doc: 'PEM RSA private key to sign the ciphertext with' },
    scheme: { type: 'string', doc: 'Encryption scheme: rsa (pgp is not supported here)', default: 'rsa' },
  },
  run(call: FunctionCall) {
    const log: Log = (m) => call.log('error', m);
    const { args } = call;
    if (!checkScheme(args.scheme, log)) return null;
    if (!present(args.public_key)) {
      log('argument public_key: required here (Velociraptor defaults to the server\'s public key; there is no server)');
      return null;
    }
    const pub = parseKey(args.public_key, 'public_key', 'public', log);
    if (!pub) return null;
    const signer = present(args.signing_key) ? parseKey(args.signing_key, 'signing_key', 'private', log) : undefined;
    if (signer === null) return null;
    const data = textBytes(args.data);
    const limit = modulusBytes(pub) - OAEP_SHA1_OVERHEAD;
    if (data.length > limit) {
      log(`argument data: ${data.length} bytes is too long; a ${modulusBytes(pub) * 8}-bit key encrypts at most ${limit} bytes (one RSA-OAEP SHA-1 block; no chunking)`);
      return null;
    }
    try {
      const ct = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, data);
      if (!signer) return bytesToValue(ct);
      const sig = sign('sha256', ct, { key: signer, padding: constants.RSA_PKCS1_PADDING });
      return bytesToValue(Buffer.concat([ct, sig]));
    } catch (e) {
      log(`encryption failed: ${(e as Error).message}`);
      return null;
    }
  },
};

export const pkDecrypt: FunctionDef = {
  name: 'pk_decrypt',
  doc: 'Decrypt pk_encrypt() output with an RSA private key, verifying the signature with verify_key when given.',
  args: {
    data: { type: 'any', required: true, doc: 'The data to decrypt (bytes from pk_encrypt)' },
    private_key: { type: 'string', doc: 'PEM RSA private key. Required here: there is no server key' },
    verify_key: { type: 'string', doc: 'PEM public key (or certificate) that must have signed the data' },
    scheme: { type: 'string', doc: 'Encryption scheme: rsa (pgp is not supported here)', default: 'rsa' },
  },
  run(call: FunctionCall) {
    const log: Log = (m) => call.log('error', m);
    const { args } = call;
    if (!checkScheme(args.scheme, log)) return null;
    if (!present(args.private_key)) {
      log('argument private_key: required here (Velociraptor defaults to the server\'s private key; there is no server)');
      return null;
    }
    const priv = parseKey(args.private_key, 'private_key', 'private', log);
    if (!priv) return null;
    const verifier = present(args.verify_key) ? parseKey(args.verify_key, 'verify_key', 'public', log) : undefined;
    if (verifier === null) return null;
    const data = textBytes(args.data);
    const k = modulusBytes(priv);
    if (data.length < k) {
      log(`argument data: ${data.length} bytes is shorter than one ${k * 8}-bit RSA block (${k} bytes)`);
      return null;
    }
    const ct = data.subarray(0, k);
    const sig = data.subarray(k);
    if (verifier) {
      if (sig.length === 0) {
        log('argument verify_key: the data carries no signature');
        return null;
      }
      let ok = false;
      try {
        ok = sig.length === modulusBytes(verifier) && verify('sha256', ct, { key: verifier, padding: constants.RSA_PKCS1_PADDING }, sig);
      } catch { /* ok stays false */ }
      if (!ok) {
        log('signature verification failed: the data was not signed by verify_key or was changed');
        return null;
      }
    } else if (sig.length > 0) {
      call.log('warn', `${sig.length} bytes after the ciphertext (a signature?) not verified: no verify_key`);
    }
    try {
      return bytesToValue(privateDecrypt({ key: priv, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, ct));
    } catch (e) {
      log(`decryption failed (wrong private_key or corrupted data): ${(e as Error).message}`);
      return null;
    }
  },
};

export const pkFunctions: readonly FunctionDef[] = [pkEncrypt, pkDecrypt];
