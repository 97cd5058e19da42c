export * from "./provider";
export * from "./components";
