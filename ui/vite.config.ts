import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The desktop app loads the built files from ui/dist (tauri.conf.json: build.frontendDist).
export default defineConfig({
  plugins: [react()],
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  test: { environment: "jsdom", globals: true, setupFiles: ["./src/test-setup.ts"] },
});
