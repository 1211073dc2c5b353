// Module resolution hook: resolve @gopherqueue packages to their TypeScript sources (the
// "@gopherqueue/source" export condition), as `node --conditions=@gopherqueue/source` would.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('@gopherqueue/source')
    ? context.conditions
    : ['@gopherqueue/source', ...context.conditions];
  return nextResolve(specifier, { ...context, conditions });
}
