/**
 * The built-in grok patterns: the 77 names Velociraptor's grok knows (Velocidex/grok
 * v0.0.1, `patterns.go`; listed in VQL-FUNCTIONS.md 1.3), as data.
 *
 * Source and licence. No maintained npm package carries grok patterns that install here
 * (node-grok and grok-js need the native `oniguruma` module), so the definitions are carried
 * as data:
 * - 69 entries are Logstash's core `grok-patterns` file (Elastic, Apache-2.0), verbatim as
 *   shipped in the npm package grok-js 3.3.1 (`lib/patterns/grok-patterns`, ISC packaging,
 *   sha256 7744524b1700c02ff2562c6847a3fff821babd5954a0900403770f0ca857ec42); BASE16FLOAT,
 *   which Velociraptor does not have, is left out.
 * - 8 entries that Velociraptor has and that file lacks (EMAILLOCALPART, EMAILADDRESS,
 *   HTTPDUSER, HTTPDERROR_DATE, HTTPD20_ERRORLOG, HTTPD24_ERRORLOG, HTTPD_ERRORLOG,
 *   COMMONENVOYACCESSLOG) are the definitions of logstash-patterns-core's `httpd` file
 *   (Apache-2.0) and of Velocidex/grok (Apache-2.0, the Envoy access log).
 *
 * These are Oniguruma patterns; grok.ts translates them to RE2 (atomic groups become plain
 * groups, named groups `(?<n>` become `(?P<n>`). RE2 has no lookaround, so the five entries
 * that use it have RE2 forms below (RE2_FORMS) that drop the boundary assertions, as the Go
 * port Velociraptor uses does: for example IPV4 no longer refuses to match inside a longer
 * run of digits.
 */

/** Logstash core patterns (Oniguruma syntax), verbatim. */
export const LOGSTASH_CORE: ReadonlyArray<readonly [string, string]> = [
  ["USERNAME", String.raw`[a-zA-Z0-9._-]+`],
  ["USER", String.raw`%{USERNAME}`],
  ["INT", String.raw`(?:[+-]?(?:[0-9]+))`],
  ["BASE10NUM", String.raw`(?<![0-9.+-])(?>[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+)))`],
  ["NUMBER", String.raw`(?:%{BASE10NUM})`],
  ["BASE16NUM", String.raw`(?<![0-9A-Fa-f])(?:[+-]?(?:0x)?(?:[0-9A-Fa-f]+))`],
  ["POSINT", String.raw`\b(?:[1-9][0-9]*)\b`],
  ["NONNEGINT", String.raw`\b(?:[0-9]+)\b`],
  ["WORD", String.raw`\b\w+\b`],
  ["NOTSPACE", String.raw`\S+`],
  ["SPACE", String.raw`\s*`],
  ["DATA", String.raw`.*?`],
  ["GREEDYDATA", String.raw`.*`],
  ["QUOTEDSTRING", "(?>(?<!\\\\)(?>\"(?>\\\\.|[^\\\\\"]+)+\"|\"\"|(?>'(?>\\\\.|[^\\\\']+)+')|''|(?>`(?>\\\\.|[^\\\\`]+)+`)|``))"],
  ["UUID", String.raw`[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}`],
  ["MAC", String.raw`(?:%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC})`],
  ["CISCOMAC", String.raw`(?:(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4})`],
  ["WINDOWSMAC", String.raw`(?:(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2})`],
  ["COMMONMAC", String.raw`(?:(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2})`],
  ["IPV6", String.raw`((([0-9A-Fa-f]{1,4}:){7}([0-9A-Fa-f]{1,4}|:))|(([0-9A-Fa-f]{1,4}:){6}(:[0-9A-Fa-f]{1,4}|((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))|(([0-9A-Fa-f]{1,4}:){5}(((:[0-9A-Fa-f]{1,4}){1,2})|:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))|(([0-9A-Fa-f]{1,4}:){4}(((:[0-9A-Fa-f]{1,4}){1,3})|((:[0-9A-Fa-f]{1,4})?:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){3}(((:[0-9A-Fa-f]{1,4}){1,4})|((:[0-9A-Fa-f]{1,4}){0,2}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){2}(((:[0-9A-Fa-f]{1,4}){1,5})|((:[0-9A-Fa-f]{1,4}){0,3}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){1}(((:[0-9A-Fa-f]{1,4}){1,6})|((:[0-9A-Fa-f]{1,4}){0,4}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(:(((:[0-9A-Fa-f]{1,4}){1,7})|((:[0-9A-Fa-f]{1,4}){0,5}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:)))(%.+)?`],
  ["IPV4", String.raw`(?<![0-9])(?:(?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})[.](?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})[.](?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})[.](?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2}))(?![0-9])`],
  ["IP", String.raw`(?:%{IPV6}|%{IPV4})`],
  ["HOSTNAME", String.raw`\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(\.?|\b)`],
  ["HOST", String.raw`%{HOSTNAME}`],
  ["IPORHOST", String.raw`(?:%{HOSTNAME}|%{IP})`],
  ["HOSTPORT", String.raw`%{IPORHOST}:%{POSINT}`],
  ["PATH", String.raw`(?:%{UNIXPATH}|%{WINPATH})`],
  ["UNIXPATH", String.raw`(?>/(?>[\w_%!$@:.,-]+|\\.)*)+`],
  ["TTY", String.raw`(?:/dev/(pts|tty([pq])?)(\w+)?/?(?:[0-9]+))`],
  ["WINPATH", String.raw`(?>[A-Za-z]+:|\\)(?:\\[^\\?*]*)+`],
  ["URIPROTO", String.raw`[A-Za-z]+(\+[A-Za-z+]+)?`],
  ["URIHOST", String.raw`%{IPORHOST}(?::%{POSINT:port})?`],
  ["URIPATH", String.raw`(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%_\-]*)+`],
  ["URIPARAM", String.raw`\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]]*`],
  ["URIPATHPARAM", String.raw`%{URIPATH}(?:%{URIPARAM})?`],
  ["URI", String.raw`%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?`],
  ["MONTH", String.raw`\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b`],
  ["MONTHNUM", String.raw`(?:0?[1-9]|1[0-2])`],
  ["MONTHNUM2", String.raw`(?:0[1-9]|1[0-2])`],
  ["MONTHDAY", String.raw`(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])`],
  ["DAY", String.raw`(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)`],
  ["YEAR", String.raw`(?>\d\d){1,2}`],
  ["HOUR", String.raw`(?:2[0123]|[01]?[0-9])`],
  ["MINUTE", String.raw`(?:[0-5][0-9])`],
  ["SECOND", String.raw`(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)`],
  ["TIME", String.raw`(?!<[0-9])%{HOUR}:%{MINUTE}(?::%{SECOND})(?![0-9])`],
  ["DATE_US", String.raw`%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}`],
  ["DATE_EU", String.raw`%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}`],
  ["ISO8601_TIMEZONE", String.raw`(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))`],
  ["ISO8601_SECOND", String.raw`(?:%{SECOND}|60)`],
  ["TIMESTAMP_ISO8601", String.raw`%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?`],
  ["DATE", String.raw`%{DATE_US}|%{DATE_EU}`],
  ["DATESTAMP", String.raw`%{DATE}[- ]%{TIME}`],
  ["TZ", String.raw`(?:[PMCE][SD]T|UTC)`],
  ["DATESTAMP_RFC822", String.raw`%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}`],
  ["DATESTAMP_RFC2822", String.raw`%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}`],
  ["DATESTAMP_OTHER", String.raw`%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}`],
  ["DATESTAMP_EVENTLOG", String.raw`%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}`],
  ["SYSLOGTIMESTAMP", String.raw`%{MONTH} +%{MONTHDAY} %{TIME}`],
  ["PROG", String.raw`(?:[\w._/%-]+)`],
  ["SYSLOGPROG", String.raw`%{PROG:program}(?:\[%{POSINT:pid}\])?`],
  ["SYSLOGHOST", String.raw`%{IPORHOST}`],
  ["SYSLOGFACILITY", String.raw`<%{NONNEGINT:facility}.%{NONNEGINT:priority}>`],
  ["HTTPDATE", String.raw`%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}`],
  ["QS", String.raw`%{QUOTEDSTRING}`],
  ["SYSLOGBASE", String.raw`%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} %{SYSLOGPROG}:`],
  ["COMMONAPACHELOG", String.raw`%{IPORHOST:clientip} %{USER:ident} %{USER:auth} \[%{HTTPDATE:timestamp}\] "(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})" %{NUMBER:response} (?:%{NUMBER:bytes}|-)`],
  ["COMBINEDAPACHELOG", String.raw`%{COMMONAPACHELOG} %{QS:referrer} %{QS:agent}`],
  ["LOGLEVEL", String.raw`([Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)`],
];

/** Velociraptor's patterns that Logstash's core file lacks. */
export const VELOCIRAPTOR_EXTRA: ReadonlyArray<readonly [string, string]> = [
  ['EMAILLOCALPART', String.raw`[a-zA-Z][a-zA-Z0-9_.+-=:]+`],
  ['EMAILADDRESS', String.raw`%{EMAILLOCALPART}@%{HOSTNAME}`],
  ['HTTPDUSER', String.raw`%{EMAILADDRESS}|%{USER}`],
  ['HTTPDERROR_DATE', String.raw`%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR}`],
  ['HTTPD20_ERRORLOG', String.raw`\[%{HTTPDERROR_DATE:timestamp}\] \[%{LOGLEVEL:loglevel}\] (?:\[client %{IPORHOST:clientip}\] ){0,1}%{GREEDYDATA:errormsg}`],
  ['HTTPD24_ERRORLOG', String.raw`\[%{HTTPDERROR_DATE:timestamp}\] \[%{WORD:module}:%{LOGLEVEL:loglevel}\] \[pid %{POSINT:pid}:tid %{NUMBER:tid}\]( \(%{POSINT:proxy_errorcode}\)%{DATA:proxy_errormessage}:)?( \[client %{IPORHOST:client}:%{POSINT:clientport}\])? %{DATA:errorcode}: %{GREEDYDATA:message}`],
  ['HTTPD_ERRORLOG', String.raw`%{HTTPD20_ERRORLOG}|%{HTTPD24_ERRORLOG}`],
  ['COMMONENVOYACCESSLOG', String.raw`\[%{TIMESTAMP_ISO8601:timestamp}\] "%{DATA:method} (?:%{URIPATH:uri_path}(?:%{URIPARAM:uri_param})?|%{DATA:}) %{DATA:protocol}" %{NUMBER:status_code} %{DATA:response_flags} %{NUMBER:bytes_received} %{NUMBER:bytes_sent} %{NUMBER:duration} (?:%{NUMBER:upstream_service_time}|%{DATA:tcp_service_time}) "%{DATA:forwarded_for}" "%{DATA:user_agent}" "%{DATA:request_id}" "%{DATA:authority}" "%{DATA:upstream_service}"`],
];

/**
 * RE2 forms of the entries that use lookaround (which RE2 cannot express): the same
 * pattern without its boundary assertions, atomic groups as plain groups.
 */
export const RE2_FORMS: Readonly<Record<string, string>> = {
  // (?<![0-9.+-]) dropped
  BASE10NUM: String.raw`(?:[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+)))`,
  // (?<![0-9A-Fa-f]) dropped
  BASE16NUM: String.raw`(?:[+-]?(?:0x)?(?:[0-9A-Fa-f]+))`,
  // (?<!\\) dropped: a quote right after a backslash may start a string
  QUOTEDSTRING: '(?:"(?:\\\\.|[^\\\\"]+)+"|""|(?:\'(?:\\\\.|[^\\\\\']+)+\')|\'\'|(?:`(?:\\\\.|[^\\\\`]+)+`)|``)',
  // (?<![0-9]) and (?![0-9]) dropped
  IPV4: String.raw`(?:(?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})[.](?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})[.](?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})[.](?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2}))`,
  // (?!<[0-9]) (always true before an hour) and (?![0-9]) dropped
  TIME: String.raw`%{HOUR}:%{MINUTE}(?::%{SECOND})`,
};
