// The web host's gate (main/web/guard.ts): request targets, Host/Origin/Fetch-Metadata checks and
// where the token may come from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpAuthorized, parseTarget, protocolToken, refusedOrigin, upgradeAuthorized } from '../../main/web/guard.ts';

const TOKEN = 'ab'.repeat(32);

test('parseTarget reads origin-form targets and refuses everything else without throwing', () => {
  assert.deepEqual(parseTarget('/assets/a%20b.js?token=1')?.path, '/assets/a b.js');
  assert.equal(parseTarget('/?token=x&y=1')?.query.get('token'), 'x');
  assert.equal(parseTarget('//a:b')?.path, '//a:b', 'an empty first segment is a path, never an authority');
  assert.equal(parseTarget('//[')?.path, '//[');
  for (const bad of [undefined, '', '*', 'http://[', 'http://127.0.0.1/', '//%zz', '/%E0%A4%A', '/%', '/a%00b']) {
    assert.equal(parseTarget(bad), null, String(bad));
  }
});

test('refusedOrigin: the Host must be ours, the Origin exactly ours, Fetch Metadata same-origin', () => {
  const port = 4321;
  assert.equal(refusedOrigin({ host: '127.0.0.1:4321' }, port), null);
  assert.equal(refusedOrigin({ host: 'localhost:4321', origin: 'http://localhost:4321' }, port), null);
  assert.equal(refusedOrigin({ host: '127.0.0.1:4321', origin: 'http://127.0.0.1:4321', 'sec-fetch-site': 'same-origin' }, port), null);
  assert.equal(refusedOrigin({ host: '127.0.0.1:4321', 'sec-fetch-site': 'none' }, port), null);
  assert.match(refusedOrigin({ host: '127.0.0.1:4321', origin: 'http://127.0.0.1:4322' }, port)!, /origin/);
  assert.match(refusedOrigin({ host: '127.0.0.1:4321', origin: 'http://localhost:4321' }, port)!, /origin/, 'the origin must match the Host it asked');
  assert.match(refusedOrigin({ host: '127.0.0.1:4321', origin: 'null' }, port)!, /origin/);
  assert.match(refusedOrigin({ host: '127.0.0.1:4321', 'sec-fetch-site': 'same-site' }, port)!, /same-site/);
  assert.match(refusedOrigin({ host: '127.0.0.1:4321', 'sec-fetch-site': 'cross-site' }, port)!, /cross-site/);
  assert.match(refusedOrigin({ host: 'evil.example:4321' }, port)!, /Host/, 'DNS rebinding');
  assert.match(refusedOrigin({}, port)!, /Host/);
});

test('the WebSocket never takes the cookie alone; pages take it', () => {
  const target = parseTarget('/ws')!;
  const cookie = { cookie: `other=1; vql_token=${TOKEN}` };
  assert.equal(httpAuthorized(target, cookie, TOKEN), true);
  assert.equal(upgradeAuthorized(target, cookie, TOKEN), false);
  assert.equal(upgradeAuthorized(target, { 'sec-websocket-protocol': `vql.v1, vql.token.${TOKEN}` }, TOKEN), true);
  assert.equal(upgradeAuthorized(target, { authorization: `Bearer ${TOKEN}` }, TOKEN), true);
  assert.equal(upgradeAuthorized(parseTarget(`/ws?token=${TOKEN}`)!, {}, TOKEN), true);
  assert.equal(upgradeAuthorized(target, { 'sec-websocket-protocol': 'vql.v1, vql.token.00' }, TOKEN), false);
  assert.equal(protocolToken({ 'sec-websocket-protocol': 'a,  vql.token.xyz ' }), 'xyz');
});
