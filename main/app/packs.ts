/**
 * Artifact packs for a Velociraptor server: `packs:export` builds a pack of chosen artifacts
 * (main/artifacts/pack.ts) and `packs:import` writes a pack's artifacts into the user's
 * folder and reloads the repository. The zip crosses the boundary as base64. Payloads are
 * checked here: the renderer is input, not a trusted caller.
 *
 * The import runs on the process that serves every window (Electron's main process, the web
 * host), so it never holds the event loop for the whole pack: reading the zip, parsing and
 * validating each artifact, and the repository reload that follows give the loop back between
 * files (main/artifacts/steps.ts); the longest hold is one artifact file's parse, which the
 * size limit bounds (MAX_ARTIFACT_BYTES). The base64 check is native (no regex over the text).
 */
import type { Handlers, ServiceContext } from './service.ts';
import { fail, ok } from './service.ts';
import { formatProblem, type LoadedArtifact } from '../artifacts/index.ts';
import { buildPack, registryNames, PackError } from '../artifacts/pack.ts';
import { importPackSliced } from '../artifacts/pack-import.ts';
import { DEFAULT_ZIP_LIMITS } from '../artifacts/pack-zip.ts';
import type { ArtifactSummary, PackExport, PackExportRequest, PackImport, Result } from '../ipc/contract.ts';

const MAX_NAMES = 10_000;

/**
 * The bytes of strict base64 text, or undefined when it is not. Node's decoder skips what is
 * not base64, so a text that is not base64 decodes to fewer bytes than its length promises.
 */
function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === (text.length / 4) * 3 - padding ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) : undefined;
}

function summaryOf(a: LoadedArtifact): ArtifactSummary {
  return { name: a.artifact.name, type: a.artifact.type, description: a.artifact.description ?? '', builtIn: a.builtIn, file: a.file };
}

/** `vql-workbench-pack-YYYY-MM-DD.zip` (UTC day). */
function packFileName(now = new Date()): string {
  return `vql-workbench-pack-${now.toISOString().slice(0, 10)}.zip`;
}

function exportPack(ctx: ServiceContext, req: PackExportRequest): Result<PackExport> {
  if (typeof req !== 'object' || req === null || !Array.isArray(req.names) || !req.names.every((n) => typeof n === 'string')) {
    return fail('BadRequest', 'packs:export takes { names: string[], prefix?: string }');
  }
  if (req.names.length > MAX_NAMES) return fail('BadRequest', `packs:export: at most ${MAX_NAMES} artifacts at once`);
  if (req.prefix !== undefined && typeof req.prefix !== 'string') return fail('BadRequest', 'packs:export: prefix must be text');
  let pack;
  try {
    pack = buildPack(ctx.repo, { names: req.names, prefix: req.prefix, host: registryNames(ctx.registry) });
  } catch (e) {
    if (e instanceof PackError) return fail('PackError', e.message);
    throw e;
  }
  return ok({
    zipBase64: pack.zip ? Buffer.from(pack.zip).toString('base64') : '',
    fileName: packFileName(),
    artifacts: pack.entries.map((e) => e.name),
    warnings: pack.warnings.map(formatProblem),
    refused: pack.refused.map((r) => ({ name: r.name, problems: r.problems.map(formatProblem) })),
    serverConfig: pack.serverConfig,
  });
}

async function importZip(ctx: ServiceContext, zipBase64: string): Promise<Result<PackImport>> {
  if (typeof zipBase64 !== 'string') return fail('BadRequest', 'packs:import takes the zip as base64 text');
  // Refuse an oversized payload before decoding it (base64 is 4 characters per 3 bytes).
  if (zipBase64.length > Math.ceil(DEFAULT_ZIP_LIMITS.maxZipBytes / 3) * 4) {
    return fail('TooLarge', `the zip is larger than ${DEFAULT_ZIP_LIMITS.maxZipBytes / 2 ** 20} MiB, the most a pack may be`);
  }
  const zip = decodeBase64(zipBase64);
  if (!zip) return fail('BadRequest', 'packs:import: the zip is not valid base64');
  const result = await importPackSliced(zip, { dir: ctx.opts.userArtifacts, lookup: (n) => ctx.repo.get(n) }, 'the pack zip');
  if (result.imported.length) await ctx.repo.reloadSliced();
  const problems = [...result.problems];
  const imported: ArtifactSummary[] = [];
  for (const a of result.imported) {
    const loaded = ctx.repo.get(a.name);
    if (loaded) imported.push(summaryOf(loaded));
    else problems.push({ file: a.entry, message: `${a.name} was written to ${a.file} but did not load: see the artifact list` });
  }
  return ok({ imported, problems });
}

export function packHandlers(ctx: ServiceContext): Pick<Handlers, 'packs:export' | 'packs:import'> {
  return {
    'packs:export': (req) => exportPack(ctx, req),
    'packs:import': (zipBase64) => importZip(ctx, zipBase64),
  };
}
