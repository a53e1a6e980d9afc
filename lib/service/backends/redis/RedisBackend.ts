export class RedisBackend { static async connect(_url: string): Promise<never> { throw new Error('todo'); } }
