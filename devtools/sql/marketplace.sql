-- The marketplace application's schema as its Prisma migrations create it (SPEC §2):
-- quoted camelCase columns, text cuid ids, timestamp(3), Prisma's constraint names.
-- Schema only: devtools/seed.py and the tests add the rows.

CREATE TYPE "UserRole" AS ENUM ('CUSTOMER', 'PROVIDER', 'ADMIN');
CREATE TYPE "BookingStatus" AS ENUM ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED');
CREATE TYPE "PaymentStatus" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED');

CREATE TABLE "_prisma_migrations" (
    "id"                  varchar(36) PRIMARY KEY,
    "checksum"            varchar(64) NOT NULL,
    "finished_at"         timestamptz,
    "migration_name"      varchar(255) NOT NULL,
    "logs"                text,
    "rolled_back_at"      timestamptz,
    "started_at"          timestamptz NOT NULL DEFAULT now(),
    "applied_steps_count" integer NOT NULL DEFAULT 0
);

CREATE TABLE "users" (
    "id"            text NOT NULL,
    "email"         text NOT NULL,
    "name"          text,
    "phone"         text,
    "passwordHash"  text,
    "role"          "UserRole" NOT NULL DEFAULT 'CUSTOMER',
    "emailVerified" timestamp(3),
    "createdAt"     timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"     timestamp(3) NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

CREATE TABLE "service_categories" (
    "id"          text NOT NULL,
    "name"        text NOT NULL,
    "description" text,
    "icon"        text,
    "isActive"    boolean NOT NULL DEFAULT true,
    "createdAt"   timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"   timestamp(3) NOT NULL,
    CONSTRAINT "service_categories_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "services" (
    "id"          text NOT NULL,
    "name"        text NOT NULL,
    "description" text,
    "price"       numeric(10,2) NOT NULL,
    "categoryId"  text NOT NULL,
    "isActive"    boolean NOT NULL DEFAULT true,
    "createdAt"   timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"   timestamp(3) NOT NULL,
    CONSTRAINT "services_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "services_categoryId_idx" ON "services"("categoryId");

CREATE TABLE "providers" (
    "id"           text NOT NULL,
    "userId"       text NOT NULL,
    "businessName" text NOT NULL,
    "bio"          text,
    "city"         text,
    "rating"       double precision NOT NULL DEFAULT 0,
    "isVerified"   boolean NOT NULL DEFAULT false,
    "createdAt"    timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"    timestamp(3) NOT NULL,
    CONSTRAINT "providers_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "providers_userId_key" ON "providers"("userId");

CREATE TABLE "provider_services" (
    "providerId"  text NOT NULL,
    "serviceId"   text NOT NULL,
    "customPrice" numeric(10,2),
    "createdAt"   timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "provider_services_pkey" PRIMARY KEY ("providerId", "serviceId")
);

CREATE TABLE "bookings" (
    "id"          text NOT NULL,
    "serviceId"   text NOT NULL,
    "userId"      text NOT NULL,
    "providerId"  text,
    "status"      "BookingStatus" NOT NULL DEFAULT 'PENDING',
    "scheduledAt" timestamp(3) NOT NULL,
    "address"     text,
    "notes"       text,
    "price"       numeric(10,2) NOT NULL,
    "createdAt"   timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"   timestamp(3) NOT NULL,
    CONSTRAINT "bookings_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "bookings_serviceId_idx" ON "bookings"("serviceId");
CREATE INDEX "bookings_userId_idx" ON "bookings"("userId");

CREATE TABLE "payments" (
    "id"                    text NOT NULL,
    "bookingId"             text NOT NULL,
    "amount"                numeric(10,2) NOT NULL,
    "currency"              text NOT NULL DEFAULT 'EUR',
    "status"                "PaymentStatus" NOT NULL DEFAULT 'PENDING',
    "stripePaymentIntentId" text,
    "paidAt"                timestamp(3),
    "createdAt"             timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"             timestamp(3) NOT NULL,
    CONSTRAINT "payments_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "payments_bookingId_key" ON "payments"("bookingId");

CREATE TABLE "reviews" (
    "id"        text NOT NULL,
    "bookingId" text NOT NULL,
    "rating"    integer NOT NULL,
    "comment"   text,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL,
    CONSTRAINT "reviews_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "reviews_rating_check" CHECK ("rating" BETWEEN 1 AND 5)
);
CREATE UNIQUE INDEX "reviews_bookingId_key" ON "reviews"("bookingId");

-- Added by later migrations; refsync must discover them as references to services.
CREATE TABLE "catalogue_items" (
    "id"         text NOT NULL,
    "serviceId"  text NOT NULL,
    "title"      text NOT NULL,
    "imageUrl"   text,
    "sortOrder"  integer NOT NULL DEFAULT 0,
    "isFeatured" boolean NOT NULL DEFAULT false,
    "createdAt"  timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"  timestamp(3) NOT NULL,
    CONSTRAINT "catalogue_items_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "booking_drafts" (
    "id"          text NOT NULL,
    "serviceId"   text NOT NULL,
    "userId"      text,
    "scheduledAt" timestamp(3),
    "payload"     jsonb NOT NULL DEFAULT '{}',
    "expiresAt"   timestamp(3) NOT NULL,
    "createdAt"   timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"   timestamp(3) NOT NULL,
    CONSTRAINT "booking_drafts_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "database_metadata" (
    "id"          text NOT NULL,
    "environment" text NOT NULL,
    "fingerprint" text NOT NULL,
    "createdAt"   timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"   timestamp(3) NOT NULL,
    CONSTRAINT "database_metadata_pkey" PRIMARY KEY ("id")
);

ALTER TABLE "services" ADD CONSTRAINT "services_categoryId_fkey"
    FOREIGN KEY ("categoryId") REFERENCES "service_categories"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "providers" ADD CONSTRAINT "providers_userId_fkey"
    FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "provider_services" ADD CONSTRAINT "provider_services_providerId_fkey"
    FOREIGN KEY ("providerId") REFERENCES "providers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "provider_services" ADD CONSTRAINT "provider_services_serviceId_fkey"
    FOREIGN KEY ("serviceId") REFERENCES "services"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_serviceId_fkey"
    FOREIGN KEY ("serviceId") REFERENCES "services"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_userId_fkey"
    FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_providerId_fkey"
    FOREIGN KEY ("providerId") REFERENCES "providers"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "payments" ADD CONSTRAINT "payments_bookingId_fkey"
    FOREIGN KEY ("bookingId") REFERENCES "bookings"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_bookingId_fkey"
    FOREIGN KEY ("bookingId") REFERENCES "bookings"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "catalogue_items" ADD CONSTRAINT "catalogue_items_serviceId_fkey"
    FOREIGN KEY ("serviceId") REFERENCES "services"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "booking_drafts" ADD CONSTRAINT "booking_drafts_serviceId_fkey"
    FOREIGN KEY ("serviceId") REFERENCES "services"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "booking_drafts" ADD CONSTRAINT "booking_drafts_userId_fkey"
    FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;
