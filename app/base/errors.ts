/** A lab cannot do what it was asked: an unknown organisation, a record that is not there, a lab that does not settle. */
export class LabError extends Error {}
