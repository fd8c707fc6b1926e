ALTER TYPE "Tier" ADD VALUE 'enterprise';
