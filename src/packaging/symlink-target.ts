/**
 * Where a symbolic link of a package leads, decided without touching the disk.
 */

/** Linux gives up (ELOOP) after 40 links; a loop cannot lead anywhere, so it is not "outside". */
const MAX_LINK_HOPS = 40;

/**
 * Tells whether a package's symbolic link, once extracted, resolves inside the package root.
 *
 * The walk follows the other links of the package as the kernel would: a purely textual check is
 * not enough, since with `a -> .` the target `a/..` is textually the root but really its parent.
 * Absolute targets count as outside: the package root is `/var/task` on Lambda but a cache folder
 * here, so `/var/task/x` would not mean the same thing.
 *
 * @param linkPath normalised `/`-separated path of the link, relative to the root
 * @param target the link's target, as stored in the zip
 * @param links every link of the package: normalised path to target
 */
export function symlinkStaysInside(
  linkPath: string,
  target: string,
  links: ReadonlyMap<string, string>,
): boolean {
  if (target.startsWith("/")) return false;
  const resolved = linkPath.split("/").slice(0, -1);
  const pending = target.split("/").reverse();
  let hops = 0;
  for (
    let segment = pending.pop();
    segment !== undefined;
    segment = pending.pop()
  ) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (resolved.pop() === undefined) return false;
      continue;
    }
    resolved.push(segment);
    const next = links.get(resolved.join("/"));
    if (next === undefined) continue;
    hops += 1;
    if (hops > MAX_LINK_HOPS) return true;
    if (next.startsWith("/")) return false;
    resolved.pop();
    pending.push(...next.split("/").reverse());
  }
  return true;
}
