declare module 'asl-validator' {
  interface ValidationResult {
    isValid: boolean;
    errorsText: (separator?: string) => string;
  }
  export default function aslValidator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): ValidationResult;
}
