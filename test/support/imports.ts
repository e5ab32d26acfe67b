/** Reading a TypeScript file's imports as text: shared by the core's purity test and the layer test. */

/**
 * The source in two views: `code` with comments removed (string contents kept, so import specifiers
 * survive) and `bare` with string and template contents blanked too (for the code checks).
 */
export function lex(src: string): { code: string; bare: string } {
  let code = '';
  let bare = '';
  let i = 0;
  const templateDepth: number[] = []; // brace depth at which each open `${` returns to its template
  let braces = 0;
  const put = (c: string, b: string = c) => {
    code += c;
    bare += b;
  };
  const readString = (quote: string) => {
    put(quote);
    i++;
    while (i < src.length && src[i] !== quote) {
      if (src[i] === '\\') {
        put(src.slice(i, i + 2), '  ');
        i += 2;
        continue;
      }
      if (src[i] === '\n') break; // unterminated: stop at the line end
      put(src[i]!, ' ');
      i++;
    }
    if (i < src.length) put(src[i++]!);
  };
  const readTemplate = () => {
    // from just after a ` (or after the } closing a ${…}) up to the closing ` or the next ${
    while (i < src.length) {
      const c = src[i]!;
      if (c === '\\') {
        put(src.slice(i, i + 2), '  ');
        i += 2;
      } else if (c === '`') {
        put(c);
        i++;
        return;
      } else if (c === '$' && src[i + 1] === '{') {
        put('${');
        i += 2;
        templateDepth.push(braces);
        braces++;
        return;
      } else {
        put(c, c === '\n' ? '\n' : ' ');
        i++;
      }
    }
  };
  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      const nl = src.slice(i, stop).replace(/[^\n]/g, '');
      put(nl, nl);
      i = stop;
    } else if (c === "'" || c === '"') {
      readString(c);
    } else if (c === '`') {
      put(c);
      i++;
      readTemplate();
    } else if (c === '{') {
      braces++;
      put(c);
      i++;
    } else if (c === '}') {
      braces--;
      put(c);
      i++;
      if (templateDepth.length && templateDepth.at(-1) === braces) {
        templateDepth.pop();
        readTemplate();
      }
    } else {
      put(c);
      i++;
    }
  }
  return { code, bare };
}

/** Module specifiers of static imports/re-exports, side-effect imports, dynamic import() and require() calls. */
export function importsOf(code: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?[\w*{}\s,$]*?\s*from\s*(['"])([^'"]+)\1/g,
    /\bexport\s+(?:type\s+)?[\w*{}\s,$]*?\s*from\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\bimport\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
    /\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[2]!);
  // import(expression): not a literal, so nobody can tell what it loads
  for (const m of code.matchAll(/\bimport\s*\(\s*([^'"`\s)][^)]*)\)/g)) out.push(`<dynamic: ${m[1]!.trim()}>`);
  return out;
}
