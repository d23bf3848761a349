FROM oven/bun:1.4.5-slim
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production
COPY src ./src
COPY tsconfig.json ./
ENV PORT=3000
EXPOSE 3000
USER bun
CMD ["bun", "src/main.ts"]
