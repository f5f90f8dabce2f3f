package id.penjaga.agent.cli;

/**
 * A command that opens a repository: {@link Prestart} begins what it will need (logging, native
 * libraries, the key) while its command line and configuration are read.
 */
interface OpensRepository {}
