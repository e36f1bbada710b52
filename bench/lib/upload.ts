/** Times one report upload until the whole answer arrived; a status other than `expected` is an error. */
export async function timedUpload(
  url: string,
  bytes: Buffer,
  imageName: string,
  expected: number,
): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/api/container/scans?image_name=${encodeURIComponent(imageName)}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: bytes,
  });
  await response.arrayBuffer();
  const elapsed = performance.now() - started;
  if (response.status !== expected)
    throw new Error(`upload answered ${response.status}, expected ${expected}`);
  return elapsed;
}
