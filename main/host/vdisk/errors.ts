/** A VHDX or VMDK image that cannot be read: the message names the image and what is wrong. */
export class VdiskError extends Error {}
