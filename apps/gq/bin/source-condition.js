// Module resolution hook of the `gq` launcher when it runs from source: @gopherqueue packages
// resolve to their TypeScript sources (the "@gopherqueue/source" export condition), as
// `node --conditions=@gopherqueue/source` would.
//
// The CLI's sources are compiled by tsx in its namespace `gq-source`; a user's `--handlers`
// module is not (Node's own loader reads it). When such a module imports a @gopherqueue package,
// the source it resolves to is handed to that namespace (tsx marks a module of a namespace with
// the `tsx-namespace` query parameter), so it is compiled, and is the very module the CLI uses.
const NAMESPACE_PARAM = 'tsx-namespace=';
const CLI_NAMESPACE = 'gq-source';

export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('@gopherqueue/source')
    ? context.conditions
    : ['@gopherqueue/source', ...context.conditions];
  const resolved = await nextResolve(specifier, { ...context, conditions });
  const fromUserModule =
    context.parentURL !== undefined && !context.parentURL.includes(NAMESPACE_PARAM);
  if (
    fromUserModule &&
    specifier.startsWith('@gopherqueue/') &&
    resolved.url.startsWith('file:') &&
    resolved.url.endsWith('.ts')
  ) {
    return { ...resolved, url: `${resolved.url}?${NAMESPACE_PARAM}${CLI_NAMESPACE}` };
  }
  return resolved;
}
