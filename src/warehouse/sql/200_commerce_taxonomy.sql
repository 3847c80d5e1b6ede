-- table: curated.commerce_taxonomy
-- merge: category, keyword
-- The keyword taxonomy that gives Online Retail products a category from their description (the
-- generated retail world carries categories already). A description takes the category of its
-- matching keyword with the lowest priority number; a keyword matches at a word start (so MUG
-- also matches MUGS), on the upper-cased description with every run of non-alphanumerics made
-- one space (`pattern`: T-LIGHT and T LIGHT match alike, by a plain substring test).
-- Seasonal and specific families come first
-- ("CHRISTMAS MUG" is christmas, "LUNCH BAG" is bags, "CAKE CASES" is party), the broad
-- household words last. Descriptions matching nothing are "other"; non-product codes (postage,
-- fees) are "service" (see 210_commerce_checked.sql). Category names are the world's, plus
-- jewellery, so both sources share one vocabulary.
SELECT category, keyword, priority, ' ' || trim(regexp_replace(keyword, '[^A-Z0-9]+', ' ', 'g')) AS pattern
FROM (VALUES
  ('christmas', 'CHRISTMAS', 10), ('christmas', 'XMAS', 10), ('christmas', 'ADVENT', 10),
  ('christmas', 'SANTA', 10), ('christmas', 'BAUBLE', 10), ('christmas', 'REINDEER', 10),
  ('christmas', 'SNOWFLAKE', 10), ('christmas', 'SNOWMAN', 10), ('christmas', 'WREATH', 10),
  ('christmas', 'NATIVITY', 10), ('christmas', 'CRACKER', 10), ('christmas', 'ANGEL', 12),
  ('christmas', 'STAR DECORATION', 12), ('christmas', 'TREE DECORATION', 12),
  ('bags', 'BAG', 20), ('bags', 'SHOPPER', 20), ('bags', 'PURSE', 20), ('bags', 'TOTE', 20),
  ('bags', 'HANDBAG', 20), ('bags', 'BACKPACK', 20), ('bags', 'RUCKSACK', 20), ('bags', 'WASHBAG', 20),
  ('party', 'PARTY', 30), ('party', 'BUNTING', 30), ('party', 'NAPKIN', 30), ('party', 'BALLOON', 30),
  ('party', 'CAKE CASES', 30), ('party', 'PAPER CHAIN', 30), ('party', 'PAPER PLATE', 30),
  ('party', 'PAPER CUP', 30), ('party', 'STRAWS', 30), ('party', 'GARLAND', 30), ('party', 'BIRTHDAY', 30),
  ('party', 'CONFETTI', 30), ('party', 'PARTY CONES', 30), ('party', 'FAIRY CAKE', 31), ('party', 'PICKS', 31),
  ('toys', 'TOY', 40), ('toys', 'GAME', 40), ('toys', 'JIGSAW', 40), ('toys', 'PUZZLE', 40),
  ('toys', 'DOLL', 40), ('toys', 'SPACEBOY', 40), ('toys', 'SKITTLES', 40), ('toys', 'SNAKES AND LADDERS', 40),
  ('toys', 'DOMINOES', 40), ('toys', 'PLAYING CARDS', 40), ('toys', 'SKIPPING ROPE', 40), ('toys', 'TEDDY', 40),
  ('toys', 'BUILDING BLOCK', 40), ('toys', 'MARBLES', 40), ('toys', 'KIDS', 42), ('toys', 'CHILDRENS', 42),
  ('toys', 'CHILDS', 42), ('toys', 'CRAFT', 43), ('toys', 'SEWING KIT', 43), ('toys', 'KNITTING', 43),
  ('toys', 'STENCIL', 43), ('toys', 'PAINT', 43), ('toys', 'COLOURING', 43), ('toys', 'MODELLING', 43),
  ('toys', 'SPINNING TOP', 43), ('toys', 'LUDO', 43), ('toys', 'BINGO', 43), ('toys', 'GLIDER', 43),
  ('toys', 'PLAYHOUSE', 43), ('toys', 'NAUGHTS', 43), ('toys', 'SPORTING', 43), ('toys', 'PINK FAIRY', 42), ('toys', 'SOLDIER', 42), ('toys', 'RABBIT', 44), ('toys', 'MONKEY', 44),
  ('garden', 'GARDEN', 50), ('garden', 'PLANT', 50), ('garden', 'WATERING CAN', 50), ('garden', 'BIRD FEEDER', 50),
  ('garden', 'BIRD HOUSE', 50), ('garden', 'BIRDHOUSE', 50), ('garden', 'HERB', 50), ('garden', 'FLOWER POT', 50),
  ('garden', 'POTTING', 50), ('garden', 'PICNIC', 50), ('garden', 'SEED', 50), ('garden', 'TROWEL', 50),
  ('garden', 'GLOVES', 52), ('garden', 'PARASOL', 52), ('garden', 'UMBRELLA', 52), ('garden', 'FLOWER', 54),
  ('stationery', 'NOTEBOOK', 60), ('stationery', 'PENCIL', 60), ('stationery', 'PEN', 60), ('stationery', 'WRAP', 60),
  ('stationery', 'GREETING CARD', 60), ('stationery', 'CARD', 61), ('stationery', 'STICKER', 60),
  ('stationery', 'MEMO', 60), ('stationery', 'ENVELOPE', 60), ('stationery', 'JOURNAL', 60), ('stationery', 'DIARY', 60),
  ('stationery', 'ERASER', 60), ('stationery', 'RUBBER', 60), ('stationery', 'RULER', 60), ('stationery', 'CRAYON', 60),
  ('stationery', 'CHALK', 60), ('stationery', 'TAPE', 60), ('stationery', 'RIBBON', 60), ('stationery', 'TISSUE', 60),
  ('stationery', 'STATIONERY', 60), ('stationery', 'PAD', 61), ('stationery', 'BOOK', 62), ('stationery', 'STAMP', 62),
  ('stationery', 'CALENDAR', 62), ('stationery', 'POSTCARD', 60), ('stationery', 'GIFT TAG', 60),
  ('jewellery', 'NECKLACE', 70), ('jewellery', 'BRACELET', 70), ('jewellery', 'EARRING', 70), ('jewellery', 'RING', 72),
  ('jewellery', 'BROOCH', 70), ('jewellery', 'HAIR', 70), ('jewellery', 'BEAD', 70), ('jewellery', 'CHARM', 72),
  ('jewellery', 'JEWEL', 70), ('jewellery', 'LIP GLOSS', 70), ('jewellery', 'CLIPS', 71), ('jewellery', 'FAN', 73), ('jewellery', 'DIAMANTE', 70), ('jewellery', 'PENDANT', 70),
  ('kitchen', 'MUG', 80), ('kitchen', 'CUP', 80), ('kitchen', 'SAUCER', 80), ('kitchen', 'TEAPOT', 80), ('kitchen', 'TEA', 81),
  ('kitchen', 'CAKE', 81), ('kitchen', 'CAKESTAND', 80), ('kitchen', 'BAKING', 80), ('kitchen', 'LUNCH BOX', 80),
  ('kitchen', 'JAM', 80), ('kitchen', 'PLATE', 80), ('kitchen', 'BOWL', 80), ('kitchen', 'SPOON', 80),
  ('kitchen', 'CUTLERY', 80), ('kitchen', 'APRON', 80), ('kitchen', 'KITCHEN', 80), ('kitchen', 'OVEN', 80),
  ('kitchen', 'TRAY', 80), ('kitchen', 'TIN', 82), ('kitchen', 'JAR', 80), ('kitchen', 'BOTTLE', 81),
  ('kitchen', 'GLASS', 83), ('kitchen', 'TUMBLER', 80), ('kitchen', 'BEAKER', 80), ('kitchen', 'COFFEE', 80),
  ('kitchen', 'MOULD', 80), ('kitchen', 'COASTER', 80), ('kitchen', 'PLACEMAT', 80), ('kitchen', 'TEA TOWEL', 79),
  ('kitchen', 'RECIPE', 80), ('kitchen', 'SPICE', 80), ('kitchen', 'EGG', 80), ('kitchen', 'CHOPPING BOARD', 80),
  ('kitchen', 'DISH', 80), ('kitchen', 'CAKE STAND', 80), ('kitchen', 'FOOD', 80), ('kitchen', 'SUGAR', 80),
  ('kitchen', 'MILK', 80), ('kitchen', 'COOKIE CUTTER', 80), ('kitchen', 'BREAD BIN', 80), ('kitchen', 'JUG', 80),
  ('kitchen', 'SALT AND PEPPER', 80), ('kitchen', 'DOILIES', 80), ('kitchen', 'DOILY', 81), ('kitchen', 'BISCUIT', 80), ('kitchen', 'PANTRY', 80), ('kitchen', 'SCALES', 80),
  ('home decor', 'T-LIGHT', 90), ('home decor', 'TLIGHT', 90), ('home decor', 'CANDLE', 90), ('home decor', 'HOLDER', 90),
  ('home decor', 'FRAME', 90), ('home decor', 'CUSHION', 90), ('home decor', 'CLOCK', 90), ('home decor', 'LANTERN', 90),
  ('home decor', 'DOORMAT', 90), ('home decor', 'SIGN', 90), ('home decor', 'HEART', 91), ('home decor', 'MIRROR', 90),
  ('home decor', 'VASE', 90), ('home decor', 'LAMP', 90), ('home decor', 'LIGHT', 91), ('home decor', 'DECORATION', 91),
  ('home decor', 'ORNAMENT', 90), ('home decor', 'HOOK', 90), ('home decor', 'DRAWER', 90), ('home decor', 'CABINET', 90),
  ('home decor', 'SHELF', 90), ('home decor', 'BOX', 92), ('home decor', 'BASKET', 92), ('home decor', 'STORAGE', 92),
  ('home decor', 'CHALKBOARD', 90), ('home decor', 'WICKER', 90), ('home decor', 'HANGING', 93), ('home decor', 'PLAQUE', 90),
  ('home decor', 'DOORSTOP', 90), ('home decor', 'HOT WATER BOTTLE', 89), ('home decor', 'THROW', 90), ('home decor', 'BLANKET', 90),
  ('home decor', 'QUILT', 90), ('home decor', 'CURTAIN', 90), ('home decor', 'WALL ART', 90), ('home decor', 'CHANDELIER', 90),
  ('home decor', 'DOOR', 92), ('home decor', 'WINDMILL', 92), ('home decor', 'MOBILE', 92), ('home decor', 'PHOTO', 92),
  ('home decor', 'BELL', 93), ('home decor', 'HAND WARMER', 90), ('home decor', 'MAGNET', 92), ('home decor', 'COAT RACK', 90),
  ('home decor', 'MAT', 94), ('home decor', 'CHEST', 93), ('home decor', 'PEGS', 93), ('home decor', 'KEY FOB', 93),
  ('home decor', 'STOOL', 93), ('home decor', 'BIRD', 94), ('home decor', 'WREATH', 94), ('home decor', 'SOAP', 94)
) AS t(category, keyword, priority)
