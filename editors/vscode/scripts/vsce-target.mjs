// The VS Code Marketplace's platform names (`vsce package --target`) for a
// Node platform and architecture; `undefined` where VS Code has none.
const TARGETS = {
  "linux-x64": "linux-x64",
  "linux-arm64": "linux-arm64",
  "linux-arm": "linux-armhf",
  "darwin-x64": "darwin-x64",
  "darwin-arm64": "darwin-arm64",
  "win32-x64": "win32-x64",
  "win32-arm64": "win32-arm64",
};

export function vsceTarget(platform, arch) {
  return TARGETS[`${platform}-${arch}`];
}
