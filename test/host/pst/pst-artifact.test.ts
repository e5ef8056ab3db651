// Velociraptor's Windows.Forensics.Pst, run unchanged from ../shared/velociraptor-artifacts on a
// PST written by pst-writer.ts: PSTGlob finds it, parse_pst() gives the messages, SubjectRegex
// and the other regexes filter them, UploadAttachments uploads each attachment through the pst
// accessor and AttachmentYaraRule keeps the messages whose attachments match.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository, installArtifactPlugins, runArtifact } from '../../../main/artifacts/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { finishRun, newTempDir } from '../../../main/host/collect/run-files.ts';
import { toJSON, type Value } from '../../../main/vql/index.ts';
import { writePst } from './pst-writer.ts';
import { flatten, IMAGE, mailbox, NOTES } from './pst-fixture.ts';

const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const skip = existsSync(CORPUS) ? false : `../shared/velociraptor-artifacts is absent (${CORPUS}): Windows.Forensics.Pst is not run`;
if (skip) console.log(`# ${skip}`);

type Row = Record<string, unknown>;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('Windows.Forensics.Pst', { skip }, () => {
  let repo: Repository;
  let dir = '';
  let pst = '';
  const folders = mailbox({ inbox: 40 });
  const all = flatten(folders);

  before(() => {
    repo = new Repository({ definitions: [CORPUS] });
    dir = mkdtempSync(join(tmpdir(), 'vql-pst-artifact-'));
    pst = join(dir, 'mail', 'outlook.pst');
    mkdirSync(join(dir, 'mail'));
    writeFileSync(pst, writePst(folders, { crypt: 1 }).bytes);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function collect(params: Record<string, string>, uploadDir: string | null = null): Promise<{ rows: Row[]; logs: string[] }> {
    const registry = createHostRegistry({ files: { tempDir: newTempDir(), uploadDir } });
    installArtifactPlugins(registry, repo);
    const a = repo.get('Windows.Forensics.Pst');
    assert.ok(a, 'Windows.Forensics.Pst is in the corpus');
    const rows: Value[] = [];
    const logs: string[] = [];
    try {
      for await (const batch of runArtifact(repo, a, new Map(Object.entries(params)), {
        registry, signal: new AbortController().signal, preconditions: false, log: (l, m) => logs.push(`${l}: ${m}`),
      })) rows.push(...batch);
    } finally {
      await finishRun(registry);
    }
    return { rows: JSON.parse(toJSON(rows)) as Row[], logs };
  }

  const problems = (logs: string[]) => logs.filter((l) => /^(error|warn)/.test(l));

  test('PSTGlob alone: every message, with the glob\'s columns and parse_pst\'s', async () => {
    const { rows, logs } = await collect({ PSTGlob: join(dir, '**/*.pst') });
    assert.deepEqual(problems(logs), []);
    assert.equal(rows.length, all.length);
    assert.deepEqual(rows.map((r) => r.Subject), all.map((x) => x.m.subject));
    assert.deepEqual(Object.keys(rows[0]!), ['Path', 'Sender', 'Receiver', 'Subject', 'Message', 'Delivered', 'Attachments', 'Uploads', 'YaraHit', '_Source']);
    assert.equal(rows[0]!.Path, '/Top of Outlook data file/Inbox');
    assert.equal(rows[0]!.Uploads, null);
    assert.equal(rows[0]!.YaraHit, null);
  });

  test('SubjectRegex, SenderRegex and PathRegex filter the messages', async () => {
    const { rows, logs } = await collect({ PSTGlob: join(dir, '**/*.pst'), SubjectRegex: 'report (7|9|14)$', SenderRegex: 'example\\.org|corp', PathRegex: 'Inbox$' });
    assert.deepEqual(problems(logs), []);
    const want = all.filter((x) => /report (7|9|14)$/.test(x.m.subject) && /example\.org|corp/.test(`${x.m.senderName} <${x.m.senderEmail}>`) && /Inbox$/.test(x.path));
    assert.deepEqual(want.map((x) => x.m.subject), ['Inbox report 9', 'Inbox report 14']);
    assert.deepEqual(rows.map((r) => [r.Path, r.Subject]), want.map((x) => [x.path, x.m.subject]));
  });

  test('UploadAttachments: each attachment is uploaded through the pst accessor, bytes intact', async () => {
    const uploads = join(dir, 'store');
    const { rows, logs } = await collect({ PSTGlob: join(dir, '**/*.pst'), SubjectRegex: 'report 3$', UploadAttachments: 'Y' }, uploads);
    assert.deepEqual(problems(logs), []);
    const want = all.filter((x) => /report 3$/.test(x.m.subject));
    assert.deepEqual(rows.map((r) => r.Subject), want.map((x) => x.m.subject));
    for (const r of rows) {
      const ups = (r.Uploads as Row[]).map((u) => Object.values(u)[0] as Row);
      assert.deepEqual(ups.map((u) => [u.Size, u.sha256]), [[NOTES.length, sha256(NOTES)], [IMAGE.length, sha256(IMAGE)]], String(r.Subject));
      assert.ok(ups.every((u) => (u.Components as string[])[1] === 'pst'), JSON.stringify(ups[0]));
    }
    // The stored files, under uploads/pst/...: every notes.txt and image.bin as written.
    const stored: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (/notes\.txt$|image\.bin$/.test(n)) stored.push(p);
      }
    };
    walk(uploads);
    assert.equal(stored.length, rows.length * 2, stored.join('\n'));
    for (const p of stored) assert.deepEqual(readFileSync(p), p.endsWith('notes.txt') ? NOTES : IMAGE, p);
  });

  test('AttachmentYaraRule: only messages whose attachments match, the hit in YaraHit', async () => {
    const rule = 'rule Notes { strings: $m = "MARKER-NOTES-1234" condition: $m }';
    const { rows, logs } = await collect({ PSTGlob: join(dir, '**/*.pst'), AttachmentYaraRule: rule });
    assert.deepEqual(problems(logs), []);
    const want = all.filter((x) => x.m.attachments);
    assert.deepEqual(rows.map((r) => r.Subject), want.map((x) => x.m.subject));
    for (const r of rows) assert.deepEqual((r.YaraHit as Row[]).map((h) => JSON.stringify(h)).length, 1, JSON.stringify(r.YaraHit));
    const none = await collect({ PSTGlob: join(dir, '**/*.pst'), AttachmentYaraRule: 'rule Nope { strings: $m = "NOT-THERE-9876" condition: $m }' });
    assert.deepEqual(none.rows, []);
    assert.deepEqual(problems(none.logs), []);
  });
});

