// template(): Go text/template as Velociraptor runs it (its golden vector, the templates of the
// corpus artifacts), each part of the language, the helpers, and the bad-input cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { query, value } from './helpers.ts';

test('template(): Velociraptor\'s golden vector (fields, Get on a string, Scope)', async () => {
  const { rows, logs } = await query(`LET Template <= '''Hello World!

Var1:{{ .Var1 }}
Nested: {{ Get .Var1 "Nested" }}
ScopeVariable: {{ Scope "ScopeVariable" }}
'''
LET ScopeVariable <= '''I am a scope variable.'''
LET Expansion = dict( Var1="Hi there", Var2=dict(Nested="Nested") )
SELECT template(template=Template, expansion=Expansion) FROM scope()`);
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ 'template(template=Template, expansion=Expansion)': 'Hello World!\n\nVar1:Hi there\nNested: \nScopeVariable: I am a scope variable.\n' }]);
});

test('template(): Generic.Utils.SendEmail\'s WrapInBoundary (if, range, $, CRLF)', async () => {
  const T = '{{ if .header }}{{ .header }}; boundary={{ .boundary }}\\r\\n\\r\\n{{ end }}{{ range .sections }}--{{ $.boundary }}\\r\\n{{ . }}{{ end }}--{{ $.boundary }}--\\r\\n';
  const { v } = await value(`template(template="${T}", expansion=dict(boundary='XYZ', sections=('plain', 'html'), header='Content-Type: multipart/alternative'))`);
  assert.equal(v, 'Content-Type: multipart/alternative; boundary=XYZ\r\n\r\n--XYZ\r\nplain--XYZ\r\nhtml--XYZ--\r\n');
  const { v: noHeader } = await value(`template(template="${T}", expansion=dict(boundary='B', sections=('x',), header=''))`);
  assert.equal(noHeader, '--B\r\nx--B--\r\n');
});

test('template(): Windows.Collectors.Remapping\'s quote pipe and a literal {{ }} kept for later', async () => {
  const { v } = await value(`template(template='''LET X <= dict(accessor={{ .Accessor | quote }}, paths={{"{{ .Paths }}"}})''', expansion=dict(Accessor='au"to'))`);
  assert.equal(v, 'LET X <= dict(accessor="au\\"to", paths={{ .Paths }})');
});

test('template(): the language: trim markers, comments, variables, range forms, else if, with, define/template, break', async () => {
  const cases: Array<[string, string]> = [
    ['a  {{- 1 -}}  b', 'a1b'],
    ['{{/* gone */}}x{{- /* gone too */ -}} y', 'xy'],
    ['{{ $x := .A }}{{ $x }}{{ $x = "z" }}{{ $x }}', '1z'],
    ['{{ range $i, $v := .L }}{{ $i }}={{ $v }};{{ end }}', '0=a;1=b;2=c;'],
    ['{{ range $v := .L }}{{ $v }}{{ end }}', 'abc'],
    ['{{ range .Empty }}x{{ else }}none{{ end }}', 'none'],
    ['{{ range $k, $v := .D }}{{ $k }}:{{ $v }} {{ end }}', 'a:2 b:1 '],
    ['{{ range 3 }}{{ . }}{{ end }}', '012'],
    ['{{ range .L }}{{ if eq . "b" }}{{ break }}{{ end }}{{ . }}{{ end }}', 'a'],
    ['{{ range .L }}{{ if eq . "b" }}{{ continue }}{{ end }}{{ . }}{{ end }}', 'ac'],
    ['{{ if eq .A 2 }}two{{ else if eq .A 1 }}one{{ else }}other{{ end }}', 'one'],
    ['{{ with .D }}{{ .a }}{{ else }}no{{ end }}|{{ with .Missing }}x{{ else }}no{{ end }}', '2|no'],
    ['{{ define "t" }}[{{ . }}]{{ end }}{{ template "t" .A }}{{ template "t" "s" }}', '[1][s]'],
    ['{{ block "b" .A }}<{{ . }}>{{ end }}', '<1>'],
    ['{{ .Missing }}|{{ .D.zz }}|{{ .Nothing }}', '<no value>|<no value>|<no value>'],
    ['{{ (index .L 1) }}{{ index .D "a" }}{{ len .L }}{{ len "héllo" }}', 'b236'],
    ['{{ printf "%05.1f|%-3s|%d" 3.14159 "ab" .A }}', '003.1|ab |1'],
    ['{{ print 1 2 "x" 3 }}|{{ println "a" 1 }}', '1 2x3|a 1\n'],
    ['{{ and 1 0 2 }}{{ or 0 "" "x" }}{{ not .A }}{{ and .A .D.a }}', '0xfalse2'],
    ['{{ lt 1 2 }}{{ le 2 2 }}{{ gt "b" "a" }}{{ ge 1 2 }}{{ ne .A 1 }}{{ eq .A 0 1 }}', 'truetruetruefalsefalsetrue'],
    ['{{ html "<a href=\'x\'>&</a>" }}|{{ urlquery "a b&c" }}|{{ js "it\'s" }}', "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;|a+b%26c|it\\'s"],
    ['{{ slice "hello" 1 3 }}{{ slice .L 2 }}', 'el[c]'],
    ['{{ .T.Unix }}', '1700000000'],
    ['{{ .D }}', '{"b":1,"a":2}'],
  ];
  for (const [tmpl, want] of cases) {
    const { v, logs } = await value(`template(template=T, expansion=dict(A=1, L=['a', 'b', 'c'], Empty=[], D=dict(b=1, a=2), Nothing=NULL, T=timestamp(epoch=1700000000)))`, { T: tmpl });
    assert.deepEqual(logs, [], tmpl);
    assert.equal(v, want, tmpl);
  }
});

test('template(): sprig helpers artifacts use', async () => {
  const cases: Array<[string, string]> = [
    ['{{ "x" | quote }} {{ quote "a" "b" }} {{ squote "c" }}', '"x" "a" "b" \'c\''],
    ['{{ upper "ab" }}{{ lower "CD" }}{{ title "hello world" }}{{ trim "  e  " }}', 'ABcdHello Worlde'],
    ['{{ replace "a" "b" "banana" }} {{ contains "nan" "banana" }} {{ hasPrefix "ba" "banana" }} {{ hasSuffix "x" "banana" }}', 'bbnbnb true true false'],
    ['{{ default "d" .Empty }} {{ default "d" .A }} {{ .Missing | default "m" }}', 'd 1 m'],
    ['{{ join "," .L }} {{ splitList "-" "x-y" }} {{ toJson .D }}', 'a,b,c [x y] {"b":1,"a":2}'],
    ['{{ b64enc "hi" }} {{ b64dec "aGk=" }} {{ repeat 3 "ab" }} {{ indent 2 "a\\nb" }}', 'aGk= hi ababab   a\n  b'],
    ['{{ add 1 2 3 }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ max 1 5 2 }} {{ atoi "42" }}', '6 3 6 3 1 5 42'],
    ['{{ base "/a/b.txt" }} {{ dir "/a/b.txt" }} {{ ext "b.txt" }} {{ first .L }} {{ last .L }}', 'b.txt /a .txt a c'],
    ['{{ regexMatch "^b" "banana" }} {{ regexReplaceAll "a(n)" "banana" "<$1>" }} {{ ternary "y" "n" true }}', 'true b<n><n>a y'],
  ];
  for (const [tmpl, want] of cases) {
    const { v, logs } = await value(`template(template=T, expansion=dict(A=1, L=['a', 'b', 'c'], Empty='', D=dict(b=1, a=2)))`, { T: tmpl });
    assert.deepEqual(logs, [], tmpl);
    assert.equal(v, want, tmpl);
  }
});

test('template(): a template that does not parse or fails to run logs Go\'s message and gives NULL', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{{ .A ', /argument template: template: :1: unclosed action/],
    ['x\n{{ if .A }}', /argument template: template: unexpected EOF/],
    ['{{ end }}', /argument template: template: :1: unexpected \{\{end\}\}/],
    ['{{ nosuch 1 }}', /template: :1: executing "" at <nosuch>: function "nosuch" not defined/],
    ['{{ eq 1 "a" }}', /error calling eq: incompatible types for comparison/],
    ['{{ $y }}', /undefined variable: \$y/],
    ['{{ template "none" }}', /no such template "none"/],
    ['{{ .A.B }}', /can't evaluate field B in type int64/],
    ['{{ range "s" }}{{ end }}', /range can't iterate over s/],
    ['{{ div 1 0 }}', /error calling div: integer divide by zero/],
  ];
  for (const [tmpl, re] of cases) {
    const { v, logs } = await value(`template(template=T, expansion=dict(A=1))`, { T: tmpl });
    assert.equal(v, null, tmpl);
    assert.equal(logs.length, 1, `${tmpl}: ${logs.join('\n')}`);
    assert.match(logs[0]!, /^error: template: /, tmpl);
    assert.match(logs[0]!, re, tmpl);
  }
});

test('template(): expansion may be a query (rows to range over) or absent', async () => {
  const { v } = await value(`template(template='{{ range .R }}{{ .X }},{{ end }}', expansion=dict(R={ SELECT _value AS X FROM range(end=3) }))`);
  assert.equal(v, '0,1,2,');
  const { v: none } = await value(`template(template='plain {{ . }}')`);
  assert.equal(none, 'plain <no value>');
});
