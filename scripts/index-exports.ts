/**
 * Curated index.ts files: what each workspace's `src/index.ts` exports, against what the other
 * workspaces import from it (named imports, re-exports, `const { a } = await import(...)` and
 * `(await import(...)).a`, in runtime and test code alike). An export no other workspace
 * imports is reported: the index should not offer it. Parsed with the TypeScript parser (no
 * type checking), `export *` followed through relative modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const parsed = new Map<string, ts.SourceFile>();
function parse(file: string): ts.SourceFile {
  let sf = parsed.get(file);
  if (!sf) {
    sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    parsed.set(file, sf);
  }
  return sf;
}

const hasExport = (n: ts.Node) =>
  ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** The names a module exports, `export *` from relative modules followed. */
export function exportedNames(file: string, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(file) || !existsSync(file)) return names;
  seen.add(file);
  for (const st of parse(file).statements) {
    if (ts.isExportDeclaration(st)) {
      const from =
        st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : '';
      if (!st.exportClause) {
        if (from.startsWith('.'))
          for (const n of exportedNames(path.resolve(path.dirname(file), from), seen)) names.add(n);
      } else if (ts.isNamedExports(st.exportClause))
        for (const e of st.exportClause.elements) names.add(e.name.text);
      else names.add(st.exportClause.name.text); // export * as ns
    } else if (hasExport(st)) {
      if (ts.isVariableStatement(st))
        for (const d of st.declarationList.declarations) {
          if (ts.isIdentifier(d.name)) names.add(d.name.text);
        }
      else if ('name' in st && st.name && ts.isIdentifier(st.name as ts.Node))
        names.add((st.name as ts.Identifier).text);
    }
  }
  return names;
}

/** Every name a source file takes from `pkg` (its root specifier only, not subpaths). */
export function namesImportedFrom(file: string, pkg: string): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (
      (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) &&
      n.moduleSpecifier &&
      ts.isStringLiteral(n.moduleSpecifier) &&
      n.moduleSpecifier.text === pkg
    ) {
      if (ts.isImportDeclaration(n)) {
        const b = n.importClause?.namedBindings;
        if (b && ts.isNamedImports(b)) for (const e of b.elements) names.add((e.propertyName ?? e.name).text);
        else if (b) names.add('*');
      } else if (n.exportClause && ts.isNamedExports(n.exportClause))
        for (const e of n.exportClause.elements) names.add((e.propertyName ?? e.name).text);
      else names.add('*');
    }
    if (
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.ImportKeyword &&
      ts.isStringLiteral(n.arguments[0] as ts.Node) &&
      (n.arguments[0] as ts.StringLiteral).text === pkg
    ) {
      // const { a, b } = await import(pkg)  |  (await import(pkg)).a
      let up: ts.Node = n.parent;
      if (ts.isAwaitExpression(up)) up = up.parent;
      while (ts.isParenthesizedExpression(up)) up = up.parent;
      if (ts.isVariableDeclaration(up) && ts.isObjectBindingPattern(up.name))
        for (const e of up.name.elements) {
          const key = e.propertyName ?? e.name;
          if (ts.isIdentifier(key)) names.add(key.text);
        }
      else if (ts.isPropertyAccessExpression(up)) names.add(up.name.text);
      else names.add('*');
    }
    ts.forEachChild(n, visit);
  };
  visit(parse(file));
  return names;
}

export interface IndexReport {
  pkg: string;
  /** Exported by the index, imported by no other workspace. */
  unused: string[];
  /** Whether some workspace takes the whole namespace (then nothing can be called unused). */
  wholeNamespace: boolean;
}

/**
 * A service's `main` (its process) and `start(config, deps)` (what composes it) are its API
 * whether or not another workspace imports them yet.
 */
export const SERVICE_API = ['main', 'start'];

/** For each workspace with a src/index.ts: the index's exports that no other workspace imports. */
export function unusedIndexExports(
  root: string,
  workspaces: { dir: string; name: string; files: string[] }[],
): IndexReport[] {
  const reports: IndexReport[] = [];
  for (const ws of workspaces) {
    const index = path.join(root, ws.dir, 'src/index.ts');
    if (!existsSync(index)) continue;
    const used = new Set<string>(ws.dir.startsWith('services/') ? SERVICE_API : []);
    for (const other of workspaces) {
      if (other.name === ws.name) continue;
      for (const f of other.files) {
        const abs = path.join(root, other.dir, f);
        if (!readFileSync(abs, 'utf8').includes(ws.name)) continue;
        for (const n of namesImportedFrom(abs, ws.name)) used.add(n);
      }
    }
    const exported = [...exportedNames(index)];
    reports.push({
      pkg: ws.name,
      unused: used.has('*') ? [] : exported.filter((n) => !used.has(n)).sort(),
      wholeNamespace: used.has('*'),
    });
  }
  return reports;
}
