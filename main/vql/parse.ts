/**
 * Parsing and canonical formatting of VQL: the public surface of lexer, parser and formatter.
 */
export { parseScript, parseStatement, parseExpression, parseLambda } from './parser/parser.ts';
export { formatExpr, formatSelect, formatStatement, formatScript, columnName } from './ast/format.ts';
