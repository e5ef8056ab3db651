// url(): parsing with Go's url.Parse (fields, methods, escaping, errors) and building from parts,
// as Velociraptor's Quarantine artifacts use it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { query } from './helpers.ts';

test('url(parse=) gives Go\'s url.URL fields, which are also its JSON', async () => {
  const { rows, logs } = await query(`SELECT url(parse='HTTPS://bob:s%40cret@www.example.com:8443/a%20b/c%2Fd?x=1&y=2&x=3#frag%20x') AS U FROM scope()`);
  assert.deepEqual(logs, []);
  assert.deepEqual(rows[0]!.U, {
    Scheme: 'https', Opaque: '', User: {}, Host: 'www.example.com:8443', Path: '/a b/c/d', RawPath: '/a%20b/c%2Fd',
    OmitHost: false, ForceQuery: false, RawQuery: 'x=1&y=2&x=3', Fragment: 'frag x', RawFragment: '',
  });
});

test('url(parse=) members: Host, Scheme and the methods Hostname, Port, Query, String, User.Username...', async () => {
  const { rows } = await query(`LET U = url(parse='https://bob:pw@[fe80::1]:8443/p/q?b=2&a=1&a=x%26y&c#f')
    SELECT U.Host AS Host, U.Scheme AS Scheme, U.Hostname AS Hostname, U.Port AS Port, U.Query AS Query, U.String AS String,
      U.User.Username AS User, U.User.Password AS Password, U.EscapedPath AS EscapedPath, U.RequestURI AS RequestURI,
      U.IsAbs AS IsAbs, U.Redacted AS Redacted, U.Nothing AS Nothing, str(str=U) AS Str, format(format='%v', args=U) AS Fmt FROM scope()`);
  assert.deepEqual(rows, [{
    Host: '[fe80::1]:8443', Scheme: 'https', Hostname: 'fe80::1', Port: '8443', Query: { a: ['1', 'x&y'], b: ['2'], c: [''] },
    String: 'https://bob:pw@[fe80::1]:8443/p/q?b=2&a=1&a=x%26y&c#f', User: 'bob', Password: 'pw', EscapedPath: '/p/q',
    RequestURI: '/p/q?b=2&a=1&a=x%26y&c', IsAbs: true, Redacted: 'https://bob:xxxxx@[fe80::1]:8443/p/q?b=2&a=1&a=x%26y&c#f', Nothing: null,
    Str: 'https://bob:pw@[fe80::1]:8443/p/q?b=2&a=1&a=x%26y&c#f', Fmt: 'https://bob:pw@[fe80::1]:8443/p/q?b=2&a=1&a=x%26y&c#f',
  }]);
});

test('url(parse=) on the forms Go distinguishes: no scheme, opaque, a bare host, file:///, ForceQuery', async () => {
  const { rows } = await query(`SELECT _value AS Src, url(parse=_value).Scheme AS S, url(parse=_value).Host AS H, url(parse=_value).Path AS P,
      url(parse=_value).Opaque AS O, url(parse=_value).OmitHost AS OH, url(parse=_value).ForceQuery AS FQ, url(parse=_value).String AS Str
    FROM foreach(row=['www.example.com:443', 'mailto:bob@example.com', '/just/a/path', 'file:///etc/passwd', 'http://h/p?', '//h/p', 'wss://frontend.example.com:8000/'])`);
  assert.deepEqual(rows.map(({ Src, ...r }) => [Src, r]), [
    ['www.example.com:443', { S: 'www.example.com', H: '', P: '', O: '443', OH: false, FQ: false, Str: 'www.example.com:443' }],
    ['mailto:bob@example.com', { S: 'mailto', H: '', P: '', O: 'bob@example.com', OH: false, FQ: false, Str: 'mailto:bob@example.com' }],
    ['/just/a/path', { S: '', H: '', P: '/just/a/path', O: '', OH: false, FQ: false, Str: '/just/a/path' }],
    ['file:///etc/passwd', { S: 'file', H: '', P: '/etc/passwd', O: '', OH: false, FQ: false, Str: 'file:///etc/passwd' }],
    ['http://h/p?', { S: 'http', H: 'h', P: '/p', O: '', OH: false, FQ: true, Str: 'http://h/p?' }],
    ['//h/p', { S: '', H: 'h', P: '/p', O: '', OH: false, FQ: false, Str: '//h/p' }],
    ['wss://frontend.example.com:8000/', { S: 'wss', H: 'frontend.example.com:8000', P: '/', O: '', OH: false, FQ: false, Str: 'wss://frontend.example.com:8000/' }],
  ]);
});

test('url(scheme=, host=, path=, query=, fragment=) builds a URL; .String escapes it and sorts the query', async () => {
  const { rows, logs } = await query(`SELECT url(scheme='https', host='10.0.0.1:8000', path='/server.pem').String AS A,
    str(str=url(scheme='https', host='h', path='/a b?c', query=dict(z='1 2', a=['x&y', 'é']), fragment='top part')) AS B,
    url(path='a:b').String AS C, url(host='h', path='rel').String AS D, url(scheme='https', host='h', query=dict()).String AS E,
    url(scheme='https', host='h').RawQuery AS F FROM scope()`);
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{
    A: 'https://10.0.0.1:8000/server.pem',
    B: 'https://h/a%20b%3Fc?a=x%26y&a=%C3%A9&z=1+2#top%20part',
    C: './a:b', D: '//h/rel', E: 'https://h', F: '',
  }]);
});

test('url(): a URL that does not parse logs Go\'s error and gives NULL; a bad query= is logged', async () => {
  const { rows, logs } = await query(`SELECT url(parse='http://h/%zz') AS A, url(parse='http://[::1/') AS B, url(parse=':foo') AS C,
    url(parse='http://h:port/') AS D, url(parse='a:b/c:d').String AS E, url(scheme='http', host='h', query='x=1').String AS F FROM scope()`);
  assert.deepEqual(rows, [{ A: null, B: null, C: null, D: null, E: 'a:b/c:d', F: 'http://h' }]);
  const want = [
    'error: url: argument parse: parse "http://h/%zz": invalid URL escape "%zz"',
    'error: url: argument parse: parse "http://[::1/": missing \']\' in host',
    'error: url: argument parse: parse ":foo": missing protocol scheme',
    'error: url: argument parse: parse "http://h:port/": invalid port ":port" after host',
  ];
  for (const w of want) assert.ok(logs.includes(w), `${w}\nin\n${logs.join('\n')}`);
  assert.ok(logs.some((l) => /^error: url: argument query: expected a dict/.test(l)), logs.join('\n'));
});

test('url() in Linux.Remediation.Quarantine\'s get_domain / get_port helpers', async () => {
  const { rows } = await query(`LET get_domain(URL) = split(string=url(parse=URL).Host, sep=":")[0]
    LET get_port(URL) = if(condition=url(parse=URL).Host =~ ":", then=split(string=url(parse=URL).Host, sep=":")[1],
      else=if(condition=url(parse=URL).Scheme = "https", then="443", else="80"))
    SELECT get_domain(URL=_value) AS D, get_port(URL=_value) AS P FROM foreach(row=['https://velo.example.com:8000/', 'https://velo.example.com/', 'http://x.example/'])`);
  assert.deepEqual(rows, [{ D: 'velo.example.com', P: '8000' }, { D: 'velo.example.com', P: '443' }, { D: 'x.example', P: '80' }]);
});
