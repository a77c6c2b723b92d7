/**
 * A connection URL with its password replaced by `***`, for printing (a
 * command line to copy, a report header). Anything that does not parse as
 * a URL is not echoed at all.
 */
export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.href
  } catch {
    return '<DATABASE_URL>'
  }
}
