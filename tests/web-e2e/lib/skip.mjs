/** Thrown by a scenario whose feature the server under test does not have (reported as skipped, not failed). */
export class SkipScenario extends Error {}
