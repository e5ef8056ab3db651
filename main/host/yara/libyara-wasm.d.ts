/** The libyara-wasm package ships no types: its CommonJS export is an Emscripten module factory. */
declare module 'libyara-wasm' {
  const factory: () => Promise<unknown>;
  export default factory;
}
