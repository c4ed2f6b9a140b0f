import type { DocumentNode } from 'graphql';
// The frontend contract, read at build time: operation name → hash and exact text.
import manifest from '../../frontend-contract/manifest.json';

interface Entry {
  client: string;
  name: string;
  document: string;
}

const byName = new Map<string, { hash: string; document: string }>();
for (const [id, entry] of Object.entries((manifest as { operations: Record<string, Entry> }).operations)) {
  if (entry.client !== 'web') continue;
  byName.set(entry.name, { hash: id.replace(/^sha256:/, ''), document: entry.document });
}

export class MissingOperationError extends Error {
  constructor(name: string) {
    super(
      `Operation "${name}" is not in frontend-contract/manifest.json for client "web": ` +
        'add frontend-contract/operations/web/' + name + '.graphql and run `vitrine contract build`.',
    );
    this.name = 'MissingOperationError';
  }
}

function entry(name: string | null | undefined) {
  const found = name ? byName.get(name) : undefined;
  if (!found) throw new MissingOperationError(name ?? '(anonymous)');
  return found;
}

/** The operation name of a one-operation document. */
export function operationName(doc: DocumentNode): string | undefined {
  for (const def of doc.definitions) {
    if (def.kind === 'OperationDefinition') return def.name?.value;
  }
  return undefined;
}

/** The manifest's SHA-256 (hex, without the `sha256:` prefix) of an operation. */
export function contractHash(doc: DocumentNode): string {
  return entry(operationName(doc)).hash;
}

/** The operation's text exactly as in its .graphql file (and so as hashed). */
export function contractDocument(name: string | null | undefined): string {
  return entry(name).document;
}
