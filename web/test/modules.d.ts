declare module "babel-preset-solid" {
  const preset: unknown;
  export default preset;
}
