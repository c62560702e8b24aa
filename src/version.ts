/** The rivet version, printed by `rivet --version` and recorded in every manifest. */
export const VERSION = '0.1.0'
