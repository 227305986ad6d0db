// The Node.js hello contestant of the cold-start war: returns the event unchanged.
export const handler = async (event) => event;
