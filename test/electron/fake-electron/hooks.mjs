// Module hook for test/electron/main.test.ts: `electron` resolves to the stand-in next to this
// file, so the built main bundle can be loaded in plain Node (the real package would try to
// download the Electron binary).
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: new URL('./electron.mjs', import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
