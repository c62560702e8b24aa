/**
 * The last link of a default credential chain (instance metadata): until it has answered once,
 * its failure means nothing in the chain worked, so the error must list every link's reason
 * rather than only the metadata server's. Once it has answered, its failures are its own.
 */
export function lastResort<T>(
  fetch: () => Promise<T>,
  /** The "nothing found" error, given the last link's reason and its error. */
  nothingFound: (reason: string, cause: unknown) => Error,
): () => Promise<T> {
  let answered = false
  return async () => {
    try {
      const value = await fetch()
      answered = true
      return value
    } catch (error) {
      if (answered) throw error
      throw nothingFound((error as Error).message, error)
    }
  }
}
