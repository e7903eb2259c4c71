/** VS Code's platform name (`vsce package --target`) for a Node platform and architecture. */
export function vsceTarget(platform: string, arch: string): string | undefined;
