/**
 * Artifact packs for a Velociraptor server: `packs:export` builds a pack of chosen artifacts
 * (main/artifacts/pack.ts); `packs:preview` says what importing a pack would add, replace
 * (with a line diff of each replaced file) or refuse, writing nothing; `packs:import` writes
 * the new artifacts and replaces only those the user agreed to (`replace`), then reloads the
 * repository. The zip crosses the boundary as base64, sent again with the import: the host
 * keeps no state between the two requests, and the import plans again from the folder as it is
 * then, so an artifact that appeared in between is kept unless its name was accepted.
 * Payloads are checked here: the renderer is input, not a trusted caller.
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
import { planPackSliced, writePlanSliced, type ImportPlan, type PlannedArtifact } from '../artifacts/pack-import.ts';
import { lineDiff } from '../artifacts/line-diff.ts';
import { DEFAULT_ZIP_LIMITS } from '../artifacts/pack-zip.ts';
import type { ArtifactSummary, PackExport, PackExportRequest, PackImport, PackImportOptions, PackPlanEntry, PackPreview, Result } from '../ipc/contract.ts';

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

/** The plan of a base64 zip, or the reason it cannot be read. */
async function planOf(ctx: ServiceContext, channel: string, zipBase64: unknown): Promise<Result<ImportPlan>> {
  if (typeof zipBase64 !== 'string') return fail('BadRequest', `${channel} takes the zip as base64 text`);
  // Refuse an oversized payload before decoding it (base64 is 4 characters per 3 bytes).
  if (zipBase64.length > Math.ceil(DEFAULT_ZIP_LIMITS.maxZipBytes / 3) * 4) {
    return fail('TooLarge', `the zip is larger than ${DEFAULT_ZIP_LIMITS.maxZipBytes / 2 ** 20} MiB, the most a pack may be`);
  }
  const zip = decodeBase64(zipBase64);
  if (!zip) return fail('BadRequest', `${channel}: the zip is not valid base64`);
  // Files changed by another window or program since the last list count as they are now.
  ctx.repo.reload();
  return ok(await planPackSliced(zip, { dir: ctx.opts.userArtifacts, lookup: (n) => ctx.repo.get(n) }, 'the pack zip'));
}

function entryOf(a: PlannedArtifact): PackPlanEntry {
  return { name: a.name, type: a.type, entry: a.entry, file: a.file };
}

async function previewZip(ctx: ServiceContext, zipBase64: string): Promise<Result<PackPreview>> {
  const r = await planOf(ctx, 'packs:preview', zipBase64);
  if (!r.ok) return r;
  const plan = r.value;
  return ok({
    add: plan.add.map(entryOf),
    replace: plan.replace.map((a) => ({ ...entryOf(a), diff: lineDiff(a.oldText ?? '', a.text) })),
    same: plan.same.map(entryOf),
    problems: plan.problems,
    ignored: plan.ignored,
  });
}

async function importZip(ctx: ServiceContext, zipBase64: string, opts: PackImportOptions = {}): Promise<Result<PackImport>> {
  const replace = opts?.replace ?? [];
  if (typeof opts !== 'object' || opts === null || !Array.isArray(replace) || !replace.every((n) => typeof n === 'string') || replace.length > MAX_NAMES) {
    return fail('BadRequest', 'packs:import takes the zip as base64 text and { replace?: string[] }, the names to replace');
  }
  const r = await planOf(ctx, 'packs:import', zipBase64);
  if (!r.ok) return r;
  const plan = r.value;
  const result = await writePlanSliced(plan, ctx.opts.userArtifacts, replace);
  if (result.imported.length) await ctx.repo.reloadSliced();
  const problems = [...result.problems];
  const imported: ArtifactSummary[] = [];
  for (const a of result.imported) {
    const loaded = ctx.repo.get(a.name);
    if (loaded) imported.push(summaryOf(loaded));
    else problems.push({ file: a.entry, message: `${a.name} was written to ${a.file} but did not load: see the artifact list` });
  }
  return ok({
    imported,
    replaced: result.imported.filter((a) => a.replaced).map((a) => a.name),
    kept: result.kept,
    unchanged: plan.same.map((a) => a.name),
    problems,
  });
}

export function packHandlers(ctx: ServiceContext): Pick<Handlers, 'packs:export' | 'packs:preview' | 'packs:import'> {
  return {
    'packs:export': (req) => exportPack(ctx, req),
    'packs:preview': (zipBase64) => previewZip(ctx, zipBase64),
    'packs:import': (zipBase64, opts) => importZip(ctx, zipBase64, opts),
  };
}
